using System.Globalization;
using System.Text.RegularExpressions;

namespace Gensyn.Tests.Metrics;

/// <summary>One sample of a scrape: <c>name{labels} value</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>The sample's series: its name and labels, without its value.</summary>
    public string Series => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal)
        .Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";

    public bool Has(string label, string value) => Labels.TryGetValue(label, out var v) && v == value;
}

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be blank, a comment
/// (<c># HELP name text</c>, <c># TYPE name type</c> or any other <c>#</c> line), or a sample <c>name{labels} value
/// [timestamp]</c> whose family was typed before it. Anything else fails with the line that broke the format.
/// </summary>
public static partial class PrometheusText
{
    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped", "unknown", "info"];
    private static readonly string[] Suffixes = ["", "_total", "_bucket", "_sum", "_count", "_created", "_info"];

    /// <summary>The samples of <paramref name="text"/>; throws <see cref="FormatException"/> at the first bad
    /// line.</summary>
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            try
            {
                if (line.Length == 0) continue;
                if (line.StartsWith('#')) Comment(line, typed);
                else samples.Add(Sample(line, typed));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number} is not Prometheus text ({e.Message}): {line}");
            }
        }
        return samples;
    }

    private static void Comment(string line, Dictionary<string, string> typed)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 2 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE")) return;
        if (parts.Length < 3 || !MetricName().IsMatch(parts[2]))
            throw new FormatException("a HELP or TYPE without a metric name");
        if (parts[1] == "HELP") return;
        if (parts.Length != 4 || !Types.Contains(parts[3]))
            throw new FormatException("a TYPE that is not a known type");
        if (!typed.TryAdd(parts[2], parts[3])) throw new FormatException($"{parts[2]} is typed twice");
    }

    private static PrometheusSample Sample(string line, Dictionary<string, string> typed)
    {
        var nameEnd = line.IndexOfAny(['{', ' ']);
        if (nameEnd <= 0) throw new FormatException("no metric name followed by labels or a value");
        var name = line[..nameEnd];
        if (!MetricName().IsMatch(name)) throw new FormatException($"'{name}' is not a metric name");
        if (!Suffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal) && typed.ContainsKey(name[..^s.Length])))
            throw new FormatException($"{name} has no TYPE line before it");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = nameEnd;
        if (line[at] == '{') at = Labels(line, at + 1, labels);
        if (at >= line.Length || line[at] != ' ') throw new FormatException("no space before the value");
        var rest = line[(at + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2) throw new FormatException("not a value and an optional timestamp");
        if (rest.Length == 2 &&
            !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"'{rest[1]}' is not a timestamp");
        return new PrometheusSample(name, labels, Value(rest[0]));
    }

    /// <summary>Reads <c>name="value",...}</c> from <paramref name="at"/>; returns the index after the brace.</summary>
    private static int Labels(string line, int at, Dictionary<string, string> into)
    {
        while (true)
        {
            if (at < line.Length && line[at] == '}') return at + 1;
            var equals = line.IndexOf('=', at);
            if (equals < 0) throw new FormatException("a label without '='");
            var label = line[at..equals];
            if (!LabelName().IsMatch(label)) throw new FormatException($"'{label}' is not a label name");
            at = equals + 1;
            if (at >= line.Length || line[at] != '"') throw new FormatException($"label {label}'s value is not quoted");
            var value = new System.Text.StringBuilder();
            for (at++; ; at++)
            {
                if (at >= line.Length) throw new FormatException($"label {label}'s value is not closed");
                var c = line[at];
                if (c == '"') break;
                if (c != '\\') { value.Append(c); continue; }
                if (++at >= line.Length) throw new FormatException("a line ending in an escape");
                value.Append(line[at] switch
                {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    _ => throw new FormatException($"'\\{line[at]}' is not an escape of a label value"),
                });
            }
            if (!into.TryAdd(label, value.ToString())) throw new FormatException($"label {label} appears twice");
            at++;
            if (at < line.Length && line[at] == ',') at++;
            else if (at >= line.Length || line[at] != '}') throw new FormatException("labels not separated by ','");
        }
    }

    private static double Value(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => throw new FormatException($"'{text}' is not a value"),
    };
}

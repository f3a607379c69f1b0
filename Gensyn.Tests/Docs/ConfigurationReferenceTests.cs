using Akka.Configuration;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Docs;

/// <summary>
/// docs/reference/configuration.md states every setting of cluster.hocon's <c>gensyn { ... }</c> section as
/// <c>`name = default`</c>, exactly as the shipped file writes it, and states no setting the file lacks.
/// </summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly string Root = GensynProcess.RepositoryRoot;
    private static readonly string Hocon = File.ReadAllText(Path.Combine(Root, "cluster.hocon"));
    private static readonly string Reference = File.ReadAllText(Path.Combine(Root, "docs", "reference", "configuration.md"));

    [Fact]
    public void Every_setting_of_the_shipped_file_appears_with_its_default_in_the_reference()
    {
        var missing = SettingsOf(Hocon)
            .Where(s => !Reference.Contains($"`{s.Written}`", StringComparison.Ordinal))
            .Select(s => s.Path)
            .ToList();
        Assert.True(missing.Count == 0,
            "docs/reference/configuration.md lacks (as `name = default`, as cluster.hocon writes it): " + string.Join(", ", missing));
    }

    [Fact]
    public void The_reference_states_no_setting_the_shipped_file_lacks()
    {
        var shipped = SettingsOf(Hocon).Select(s => s.Written).ToHashSet(StringComparer.Ordinal);
        var stale = System.Text.RegularExpressions.Regex.Matches(Reference, @"`([a-z][a-z0-9-]*) = ([^`{}]+)`")
            .Select(m => $"{m.Groups[1].Value} = {m.Groups[2].Value}")
            .Where(s => !shipped.Contains(s))
            .ToList();
        Assert.True(stale.Count == 0,
            "docs/reference/configuration.md states settings cluster.hocon does not have: " + string.Join(", ", stale));
    }

    [Fact]
    public void The_reading_of_the_shipped_file_finds_every_setting_that_akka_finds()
    {
        var akka = new List<string>();
        Leaves(ConfigurationFactory.ParseString(Hocon).GetConfig("gensyn").Root.GetObject(), "", akka);
        var ours = SettingsOf(Hocon).Select(s => s.Path).ToList();
        Assert.Equal(akka.Order(StringComparer.Ordinal), ours.Order(StringComparer.Ordinal));
        Assert.Contains("edge.limits.method-calls-per-minute.ProbeBandwidth", ours);
        Assert.Contains("settlement.minimum-deadline", ours);
    }

    private static void Leaves(Akka.Configuration.Hocon.HoconObject node, string prefix, List<string> into)
    {
        foreach (var (key, value) in node.Items)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value.IsObject()) Leaves(value.GetObject(), path, into);
            else into.Add(path);
        }
    }

    /// <summary>
    /// The settings inside <c>gensyn { }</c>, read from the text so that each keeps the spelling of its default
    /// (<c>60s</c>, <c>1e-5</c>, <c>64g</c>); each is paired with the way the reference writes it: <c>name = value</c>,
    /// or for a map on one line <c>name { key = value }</c>.
    /// </summary>
    private static List<(string Path, string Written)> SettingsOf(string hocon)
    {
        var settings = new List<(string, string)>();
        var scope = new Stack<string>();
        var inside = false;
        foreach (var raw in hocon.Split('\n'))
        {
            var line = StripComment(raw).Trim();
            if (line.Length == 0) continue;
            if (!inside)
            {
                if (line == "gensyn {") inside = true;
                continue;
            }
            if (line == "}")
            {
                if (scope.Count == 0) break;
                scope.Pop();
                continue;
            }
            var prefix = string.Join('.', scope.Reverse());
            string PathOf(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (line.EndsWith('{'))
            {
                scope.Push(line[..^1].Trim());
                continue;
            }
            var brace = line.IndexOf('{');
            if (brace > 0 && line.EndsWith('}'))
            {
                var map = line[..brace].Trim();
                var body = line[(brace + 1)..^1].Trim();
                var (key, value) = Pair(body);
                settings.Add((PathOf($"{map}.{key}"), $"{map} {{ {key} = {value} }}"));
                continue;
            }
            var (name, setting) = Pair(line);
            settings.Add((PathOf(name), $"{name.Split('.').Last()} = {setting}"));
        }
        return settings;
    }

    private static (string Key, string Value) Pair(string text)
    {
        var equals = text.IndexOf('=');
        Assert.True(equals > 0, $"cluster.hocon: cannot read the setting '{text}'");
        return (text[..equals].Trim(), text[(equals + 1)..].Trim());
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }
}

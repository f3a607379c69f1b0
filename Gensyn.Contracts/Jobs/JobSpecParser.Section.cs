using System.Globalization;
using System.Numerics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Contracts.Jobs;

public static partial class JobSpecParser
{
    /// <summary>A range end: the limit and whether the limit itself is allowed.</summary>
    private readonly record struct Bound(double Limit, bool Inclusive)
    {
        public static Bound AtLeast(double limit) => new(limit, true);
        public static Bound Above(double limit) => new(limit, false);
        public static Bound AtMost(double limit) => new(limit, true);
        public static Bound Below(double limit) => new(limit, false);
    }

    /// <summary>
    /// One YAML mapping being read. Each read marks its key as consumed, so <see cref="Finish"/> can report
    /// whatever is left as an unknown field. Read methods report their own errors and return null or the fallback.
    /// </summary>
    private sealed class Section
    {
        private readonly string _path;
        private readonly string[] _known;
        private readonly List<string> _errors;
        private readonly Dictionary<string, YamlNode> _fields = [];
        private readonly HashSet<string> _consumed = [];
        private readonly HashSet<string> _failed = [];

        // Set when the mapping itself is missing or malformed: its own error is enough, so "required" inside is not reported.
        private readonly bool _broken;

        public Section(YamlMappingNode? node, string path, string[] known, List<string> errors, bool broken = false)
        {
            _path = path;
            _known = known;
            _errors = errors;
            _broken = broken;
            foreach (var (key, value) in node?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
            {
                if (key is YamlScalarNode { Value: { } name })
                {
                    _fields[name] = value;
                }
                else
                {
                    _errors.Add($"{(path.Length == 0 ? "top level" : path)}: field names must be plain text, got {Describe(key)}");
                }
            }
        }

        public string PathOf(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

        public bool Has(string key) => _fields.TryGetValue(key, out var node) && !IsNull(node);

        public bool Ok(params string[] keys) => !keys.Any(_failed.Contains);

        /// <summary>Consumes a field without reading it (so <see cref="Finish"/> does not report it); whether it was there.</summary>
        public bool Skip(string key) => Take(key) is not null;

        public void Fail(string key, string problem)
        {
            _failed.Add(key);
            _errors.Add($"{PathOf(key)}: {problem}");
        }

        /// <summary>Reports a problem with the mapping as a whole, unless its being missing or malformed was already reported.</summary>
        public void FailSection(string problem)
        {
            if (!_broken)
            {
                _errors.Add($"{_path}: {problem}");
            }
        }

        /// <summary>
        /// Whether a kind-specific field should be read: true if it applies; false (reporting it if present) if it does not;
        /// false silently when <paramref name="applies"/> is null because the kind itself was invalid.
        /// </summary>
        public bool Applies(string key, bool? applies, string onlyFor)
        {
            if (applies == true)
            {
                return true;
            }

            if (Take(key) is not null && applies == false)
            {
                Fail(key, $"applies only to {onlyFor}");
            }

            return false;
        }

        public Section Child(string key, string[] known, bool required = false)
        {
            var node = Take(key, required);
            if (node is null || node is YamlMappingNode)
            {
                return new Section(node as YamlMappingNode, PathOf(key), known, _errors, _broken || (node is null && required));
            }

            Fail(key, "must be a mapping");
            return new Section(null, PathOf(key), known, _errors, broken: true);
        }

        public string? Text(string key, bool required = false)
        {
            var node = Take(key, required);
            if (node is null)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text })
            {
                return text;
            }

            Fail(key, $"must be a string, got {Describe(node)}");
            return null;
        }

        public T? Choice<T>(string key, (string Name, T Value)[] options, bool required = false)
            where T : struct
        {
            var name = OneOf(key, options.Select(o => o.Name).ToArray(), required);
            return name is null ? null : options.First(o => o.Name == name).Value;
        }

        /// <summary>The value if it is exactly one of <paramref name="names"/> (case matters), else null.</summary>
        public string? OneOf(string key, string[] names, bool required = false)
        {
            var node = Take(key, required);
            if (node is null)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && names.Contains(text))
            {
                return text;
            }

            Fail(key, $"must be one of {string.Join(", ", names)}, got {Describe(node)}");
            return null;
        }

        public long? Integer(string key, long min, long max)
        {
            var node = Take(key);
            if (node is null)
            {
                return null;
            }

            var problem = CheckInteger(node, min, max, out var value);
            if (problem is null)
            {
                return value;
            }

            Fail(key, problem);
            return null;
        }

        public int Int(string key, int fallback, int min, int max) => (int?)Integer(key, min, max) ?? fallback;

        public double Number(string key, double fallback, Bound low, Bound high)
        {
            var node = Take(key);
            if (node is null)
            {
                return fallback;
            }

            var problem = CheckNumber(node, low, high, out var value);
            if (problem is null)
            {
                return value;
            }

            Fail(key, problem);
            return fallback;
        }

        public IReadOnlyList<int>? Integers(string key, int min, int max, int minCount, int maxCount)
        {
            var items = Items(key, "integers", minCount, maxCount, required: false);
            if (items is null)
            {
                return null;
            }

            var values = new List<int>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var problem = CheckInteger(items[i], min, max, out var value);
                if (problem is null)
                {
                    values.Add((int)value);
                }
                else
                {
                    Fail($"{key}[{i}]", problem);
                    _failed.Add(key);
                }
            }

            return values;
        }

        public string? FilePath(string key, string? baseDirectory, bool required)
        {
            var node = Take(key, required);
            if (node is null)
            {
                return null;
            }

            var problem = CheckPath(node, baseDirectory, out var path);
            if (problem is null)
            {
                return path;
            }

            Fail(key, problem);
            return null;
        }

        public IReadOnlyList<string>? FilePaths(string key, string? baseDirectory, bool required)
        {
            var items = Items(key, "paths", 1, int.MaxValue, required);
            if (items is null)
            {
                return null;
            }

            var paths = new List<string>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var problem = CheckPath(items[i], baseDirectory, out var path);
                if (problem is null)
                {
                    paths.Add(path);
                }
                else
                {
                    Fail($"{key}[{i}]", problem);
                    _failed.Add(key);
                }
            }

            return paths;
        }

        /// <summary>Reports every present key that no read consumed, with the names this mapping accepts.</summary>
        public void Finish()
        {
            foreach (var key in _fields.Keys.Where(k => !_consumed.Contains(k)))
            {
                _errors.Add($"{PathOf(key)}: unknown field; expected one of {string.Join(", ", _known)}");
            }
        }

        private YamlNode? Take(string key, bool required = false)
        {
            _consumed.Add(key);
            if (_fields.TryGetValue(key, out var node) && !IsNull(node))
            {
                return node;
            }

            if (required && !_broken)
            {
                Fail(key, "required");
            }

            return null;
        }

        private IList<YamlNode>? Items(string key, string what, int minCount, int maxCount, bool required)
        {
            var node = Take(key, required);
            if (node is null)
            {
                return null;
            }

            if (node is not YamlSequenceNode { Children: var items })
            {
                Fail(key, $"must be a list of {what}, got {Describe(node)}");
                return null;
            }

            if (items.Count < minCount || items.Count > maxCount)
            {
                Fail(key, maxCount == int.MaxValue
                    ? $"must have at least {minCount} entr{(minCount == 1 ? "y" : "ies")}, got {items.Count}"
                    : $"must have {minCount} to {maxCount} entries, got {items.Count}");
                return null;
            }

            return items;
        }

        private static string? CheckInteger(YamlNode node, long min, long max, out long value)
        {
            value = 0;
            if (node is not YamlScalarNode { Value: { } text })
            {
                return $"must be an integer, got {Describe(node)}";
            }

            // BigInteger so that a huge number reads as out of range rather than as not a number.
            if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            {
                return $"must be an integer, got '{text}'";
            }

            if (big < min)
            {
                return $"must be >= {min}, got {text}";
            }

            if (big > max)
            {
                return $"must be <= {max}, got {text}";
            }

            value = (long)big;
            return null;
        }

        private static string? CheckNumber(YamlNode node, Bound low, Bound high, out double value)
        {
            value = 0;
            if (node is not YamlScalarNode { Value: { } text })
            {
                return $"must be a number, got {Describe(node)}";
            }

            // YAML spells the special values .nan and .inf, which .NET does not parse; both are as unusable as NaN.
            var parsed = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
            if ((parsed && !double.IsFinite(value)) || text.TrimStart('-', '+').ToLowerInvariant() is ".nan" or ".inf")
            {
                return $"must be a finite number, got '{text}'";
            }

            if (!parsed)
            {
                return $"must be a number, got '{text}'";
            }

            if (low.Inclusive ? value < low.Limit : value <= low.Limit)
            {
                return $"must be {(low.Inclusive ? ">=" : ">")} {Format(low.Limit)}, got {text}";
            }

            if (high.Inclusive ? value > high.Limit : value >= high.Limit)
            {
                return $"must be {(high.Inclusive ? "<=" : "<")} {Format(high.Limit)}, got {text}";
            }

            return null;
        }

        /// <summary>A data path: resolved against <paramref name="baseDirectory"/>, or for a network spec (null) kept relative under the datasets folder.</summary>
        private static string? CheckPath(YamlNode node, string? baseDirectory, out string path)
        {
            path = "";
            if (node is not YamlScalarNode { Value: { } text } || IsNull(node))
            {
                return $"must be a path, got {(IsNull(node) ? "nothing" : Describe(node))}";
            }

            if (text.Length == 0 || text.Contains('\0'))
            {
                return $"must be a path, got '{text}'";
            }

            if (baseDirectory is null)
            {
                return DataPaths.NetworkProblem(text, out path);
            }

            try
            {
                path = Path.GetFullPath(Path.Combine(baseDirectory, text));
                return null;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                return $"must be a valid path, got '{text}': {e.Message}";
            }
        }

        /// <summary>A blob named by its SHA-256, written <c>sha256:&lt;64 hex digits&gt;</c>.</summary>
        public string? BlobHash(string key, bool required)
        {
            var node = Take(key, required);
            if (node is null)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && DataPaths.IsBlobReference(text))
            {
                return text;
            }

            Fail(key, $"on the network must name an uploaded blob as sha256:<64 hex digits> (`gensyn submit` and `gensyn quote` upload the file the spec names), got {Describe(node)}");
            return null;
        }

        private static string Format(double limit) => limit.ToString(CultureInfo.InvariantCulture);
    }
}

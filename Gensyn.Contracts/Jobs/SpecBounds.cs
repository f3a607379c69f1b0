using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// The shape every job spec must have before it is read into a tree: its size, how deep it nests, how many values it holds, and no
/// anchors or aliases. Checked on YamlDotNet's event stream, which keeps its nesting on the heap, because building the node tree
/// recurses once per level: about 62 KB of nested brackets overflowed the stack of whatever process parsed them (a coordinator
/// answering a quote, a worker reading an assignment), and a stack overflow cannot be caught. A real spec nests 4 levels and holds
/// under a hundred values.
/// </summary>
public static class SpecBounds
{
    /// <summary>The longest spec, in characters; it also keeps a spec well inside one message.</summary>
    public const int MaxChars = 64 * 1024;

    /// <summary>How many mappings and lists may enclose one another.</summary>
    public const int MaxDepth = 32;

    /// <summary>How many values (scalars, mappings, lists) a spec may hold.</summary>
    public const int MaxNodes = 4096;

    /// <summary>
    /// What makes <paramref name="yaml"/> unsafe to read further, as one line, or null when its shape is fine. A syntax error is left
    /// for the full read to report with its position (everything before it was within bounds, so that read is safe).
    /// </summary>
    public static string? Problem(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxChars) return $"the job spec is {yaml.Length:N0} characters; the limit is {MaxChars:N0}";
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        var nodes = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case AnchorAlias:
                        return At(current, "aliases (*name) are not allowed in a job spec; write the value out");
                    case NodeEvent { Anchor.IsEmpty: false }:
                        return At(current, "anchors (&name) are not allowed in a job spec; write each value out");
                    case NodeEvent { Tag.IsEmpty: false }:
                        return At(current, "tags (!name) are not allowed in a job spec; write plain values");
                    case MappingStart or SequenceStart when ++depth > MaxDepth:
                        return At(current, $"the spec is nested deeper than {MaxDepth} levels; a job spec needs a few");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
                if (current is NodeEvent && ++nodes > MaxNodes)
                    return At(current, $"the spec holds more than {MaxNodes:N0} values; a job spec needs far fewer");
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            // YamlDotNet also throws ArgumentException (e.g. "Global tags must be valid URIs" for a tag like !!python/object).
            return null;
        }
        return null;
    }

    private static string At(ParsingEvent e, string problem) => $"line {e.Start.Line}, column {e.Start.Column}: {problem}";
}

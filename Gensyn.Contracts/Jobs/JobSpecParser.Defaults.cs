using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Contracts.Jobs;

public static partial class JobSpecParser
{
    private const string CompressionKey = "outer-compression";
    private const string CompressionLine = CompressionKey + ": int8";

    /// <summary>
    /// <paramref name="yaml"/> with the defaults whose meaning changed written out, as the network journals an accepted
    /// job: a training spec without <c>training.outer-compression</c> gets <c>int8</c> (today's default), so that a
    /// spec read back from a journal without the field is known to be a job accepted before it existed (and keeps its
    /// uncompressed outer step, see <see cref="ParseNetwork"/>). The rest of the text is kept as written where the
    /// field can be added in place; text that is not a readable spec is returned as it is (the parser refuses it).
    /// </summary>
    public static string WithExplicitDefaults(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (SpecBounds.Problem(yaml) is not null) return yaml;
        var stream = new YamlStream();
        try
        {
            stream.Load(new Parser(new StringReader(yaml)));
        }
        catch (Exception)
        {
            return yaml;
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root) return yaml;
        if (root.Children.TryGetValue(new YamlScalarNode("kind"), out var kind)
            && (kind as YamlScalarNode)?.Value != "train") return yaml;
        if (!root.Children.TryGetValue(new YamlScalarNode("training"), out var node))
        {
            if (root.Style == MappingStyle.Flow) return Saved(stream, root, new YamlMappingNode());
            var newline = yaml.EndsWith('\n') || yaml.Length == 0 ? "" : "\n";
            return yaml + newline + $"training: {{ {CompressionLine} }}\n";
        }
        if (node is not YamlMappingNode training)
            return IsNull(node) ? Saved(stream, root, new YamlMappingNode()) : yaml;
        if (training.Children.ContainsKey(new YamlScalarNode(CompressionKey))) return yaml;
        return Inserted(yaml, training) ?? Saved(stream, root, training);
    }

    /// <summary>The field inserted as the mapping's first entry, in the mapping's own style; null where the text
    /// around it is not laid out as expected.</summary>
    private static string? Inserted(string yaml, YamlMappingNode training)
    {
        if (training.Style == MappingStyle.Flow)
        {
            var open = (int)training.Start.Index;
            if (open >= yaml.Length || yaml[open] != '{') return null;
            var separator = training.Children.Count > 0 ? ", " : "";
            return yaml.Insert(open + 1, $" {CompressionLine}{separator}");
        }
        if (training.Children.Count == 0) return null;
        var first = training.Children.First().Key.Start;
        var indent = (int)first.Column - 1;
        var lineStart = (int)first.Index - indent;
        if (lineStart < 0 || yaml.AsSpan(lineStart, indent).ContainsAnyExcept(' ')) return null;
        return yaml.Insert(lineStart, new string(' ', indent) + CompressionLine + "\n");
    }

    /// <summary>The whole document written again with the field added (comments and layout are lost).</summary>
    private static string Saved(YamlStream stream, YamlMappingNode root, YamlMappingNode training)
    {
        training.Children[new YamlScalarNode(CompressionKey)] = new YamlScalarNode("int8");
        root.Children[new YamlScalarNode("training")] = training;
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}

using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Node.Cli;

/// <summary>
/// The dataset a spec sends to the network (docs/concepts/datasets.md, "Submitting"): files (csv, idx, text) are packed
/// into <c>DATA_DIR/packed</c> and the spec names their manifest instead (<c>dataset: { format: csv, manifest:
/// sha256:… }</c>); <c>name: mnist</c> names the manifest of the MNIST the coordinator serves. The spec's hash, and
/// so the submission signature, covers the manifest digest. No machine of the network ever opens a requester's
/// path.
/// </summary>
public static class SpecDataset
{
    /// <summary>The folder under a requester's data directory that packed datasets are kept in.</summary>
    public const string PackedFolder = "packed";

    /// <summary>How long a coordinator may take to pack a built-in dataset the first time it is asked for.</summary>
    public static readonly TimeSpan BuiltInTimeout = TimeSpan.FromMinutes(10);

    public static string PackedDirectory(string dataDirectory) => Path.Combine(dataDirectory, PackedFolder);

    /// <summary>Whether <paramref name="d"/> names files, which are packed and sent as blobs.</summary>
    public static bool IsFiles(DatasetSpec d) =>
        d.Manifest is null && d.Format is DatasetFormat.Csv or DatasetFormat.Idx or DatasetFormat.Text;

    /// <summary><paramref name="yaml"/> as it will be sent, with a stand-in manifest for files still to be packed: to
    /// check the rest of the spec as the network reads it before anything is packed.</summary>
    public static string Placeholder(JobSpec local, string yaml) =>
        IsFiles(local.Dataset) ? WithDataset(yaml, Section(local.Dataset, default)) : yaml;

    /// <summary>
    /// The spec to send, once its files are packed (<paramref name="upload"/>: what to upload before the job) or the
    /// coordinator named the manifest of its MNIST; <paramref name="failure"/>: the coordinator's refusal.
    /// </summary>
    /// <exception cref="DatasetException">A file cannot be read or packed; the message names it.</exception>
    public static async Task<(NetworkSpec Network, DatasetUpload? Upload, IGensynMessage? Failure)> ResolveAsync(
        NetworkSpec network, CoordinatorClient client, string dataDirectory, bool quiet)
    {
        var d = network.Spec.Dataset;
        if (IsFiles(d))
        {
            var store = new DirectoryChunkStore(PackedDirectory(dataDirectory));
            var packed = UploadProgress.Packing(quiet, () => DatasetPacker.Pack(
                network.Spec, dataDirectory, store, Contracts.Datasets.PackedDataSettings.Default));
            return (Named(network, packed.Digest), new DatasetUpload(store, packed, quiet), null);
        }
        if (d is { Manifest: null, Format: DatasetFormat.Mnist })
        {
            var (failure, digest) = await client.DatasetManifest(d.Name ?? "mnist", BuiltInTimeout);
            return failure is null ? (Named(network, digest), null, null) : (network, null, failure);
        }
        return (network, null, null);
    }

    private static NetworkSpec Named(NetworkSpec network, Sha256Digest digest)
    {
        var yaml = WithDataset(network.Yaml, Section(network.Spec.Dataset, digest));
        JobSpecParser.ParseNetwork(yaml, submission: true);
        return network with { Yaml = yaml };
    }

    /// <summary>The dataset section that names the packed dataset <paramref name="digest"/>.</summary>
    public static string Section(DatasetSpec d, Sha256Digest digest)
    {
        var manifest = DataPaths.BlobReference(digest.ToString());
        return d.Format == DatasetFormat.Mnist
            ? $"{{ name: mnist, manifest: {manifest} }}"
            : $"{{ format: {d.Format.ToString().ToLowerInvariant()}, manifest: {manifest} }}";
    }

    /// <summary><paramref name="yaml"/> with the value of <c>dataset</c> replaced by <paramref name="section"/> (a flow
    /// mapping), everything else as written (comments inside the old section go with it).</summary>
    public static string WithDataset(string yaml, string section)
    {
        // The text already passed the bounded parse, so building its tree is safe.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var node = root.Children[new YamlScalarNode("dataset")];
        var start = (int)node.Start.Index;
        return string.Concat(yaml.AsSpan(0, start), section, yaml.AsSpan(EndOf(node, yaml)));
    }

    /// <summary>Where <paramref name="node"/>'s text ends: a collection's node marks only its start, so its end is its
    /// last child's, and a flow collection's closing bracket after that.</summary>
    private static int EndOf(YamlNode node, string yaml)
    {
        var (last, flow, close) = node switch
        {
            YamlMappingNode m => (m.Children.Count > 0 ? m.Children.Last().Value : null,
                                  m.Style == YamlDotNet.Core.Events.MappingStyle.Flow, '}'),
            YamlSequenceNode q => (q.Children.Count > 0 ? q.Children[^1] : null,
                                   q.Style == YamlDotNet.Core.Events.SequenceStyle.Flow, ']'),
            _ => ((YamlNode?)null, false, ' '),
        };
        if (node is YamlScalarNode) return (int)node.End.Index;
        var end = last is null ? (int)node.Start.Index + 1 : EndOf(last, yaml);
        if (!flow) return end;
        while (end < yaml.Length && yaml[end] != close)
        {
            if (yaml[end] == '#') end = yaml.IndexOf('\n', end) is var n and >= 0 ? n : yaml.Length;
            else end++;
        }
        return Math.Min(end + 1, yaml.Length);
    }
}

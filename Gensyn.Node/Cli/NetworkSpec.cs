using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Node.Cli;

/// <summary>
/// A spec file as the network gets it (quote, submit, demo). The spec is read here first as the user wrote it, with paths relative to
/// the file, so every mistake is reported before anything is sent; then as every coordinator, worker and verifier reads it
/// (<see cref="JobSpecParser.ParseNetwork"/>), so a data path outside <c>DATA_DIR/datasets</c> is refused here with the same line. An
/// inference job's weights file is replaced by its hash (<c>weights: sha256:…</c>): the file itself travels as a blob (<see cref="WeightsFile"/>,
/// uploaded by submit), and no coordinator ever opens a path a requester names.
/// </summary>
/// <param name="Yaml">The text sent to the network.</param>
/// <param name="Spec">The spec as read on this machine (its paths absolute here), for the quote's estimates and messages.</param>
/// <param name="WeightsFile">An inference job's weights file on this machine, to upload.</param>
/// <param name="Weights">That file's SHA-256, which <see cref="Yaml"/> names.</param>
public sealed record NetworkSpec(string Yaml, JobSpec Spec, string? WeightsFile, Sha256Digest? Weights)
{
    /// <exception cref="JobSpecException">The spec breaks a rule, here or on the network.</exception>
    /// <exception cref="CliInputException">The weights file cannot be read.</exception>
    public static NetworkSpec Read(string path)
    {
        var local = JobSpecParser.ParseFile(path);
        var yaml = File.ReadAllText(path);
        string? weightsFile = null;
        Sha256Digest? weights = null;
        if (local.Inference is { } inference)
        {
            weightsFile = inference.Weights;
            weights = HashFile(weightsFile);
            yaml = WithWeights(yaml, DataPaths.BlobReference(weights.Value.ToString()));
        }
        JobSpecParser.ParseNetwork(SpecDataset.Placeholder(local, yaml), submission: true);
        return new NetworkSpec(yaml, local, weightsFile, weights);
    }

    private static Sha256Digest HashFile(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return Sha256Digest.FromBytes(SHA256.HashData(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"inference.weights: cannot read {path} ({e.GetType().Name}); write it with `gensyn train --out` or `gensyn result --out`");
        }
    }

    /// <summary><paramref name="yaml"/> with the value of <c>inference.weights</c> replaced by <paramref name="value"/>, everything else as written.</summary>
    internal static string WithWeights(string yaml, string value)
    {
        // The text already passed the bounded parse, so building its tree is safe.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var inference = (YamlMappingNode)root.Children[new YamlScalarNode("inference")];
        var node = inference.Children[new YamlScalarNode("weights")];
        var (start, end) = ((int)node.Start.Index, (int)node.End.Index);
        return string.Concat(yaml.AsSpan(0, start), value, yaml.AsSpan(end));
    }
}

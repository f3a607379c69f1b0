using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Models.TorchScript;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Node.Cli;

/// <summary>
/// A spec file as the network gets it (quote, submit, demo). The spec is read here first as the user wrote it, with paths relative to
/// the file, so every mistake is reported before anything is sent; then as every coordinator, worker and verifier reads it
/// (<see cref="JobSpecParser.ParseNetwork"/>), so a data path outside <c>DATA_DIR/datasets</c> is refused here with the same line. A
/// file the job needs is replaced by its hash: an inference job's weights (<c>weights: sha256:…</c>) and a TorchScript model's module
/// (<c>path: net.pt</c> becomes <c>module: sha256:…</c>). The files themselves travel as blobs (<see cref="Uploads"/>, uploaded by
/// submit), and no coordinator ever opens a path a requester names. A module is checked here too (sandbox, a dry forward pass, its
/// memory), so a module the network would refuse is refused before anything is deposited.
/// </summary>
/// <param name="Yaml">The text sent to the network.</param>
/// <param name="Spec">The spec as read on this machine (its paths absolute here), for the quote's estimates and messages.</param>
/// <param name="WeightsFile">An inference job's weights file on this machine, to upload.</param>
/// <param name="Weights">That file's SHA-256, which <see cref="Yaml"/> names.</param>
public sealed record NetworkSpec(string Yaml, JobSpec Spec, string? WeightsFile, Sha256Digest? Weights)
{
    /// <summary>Every file the job names, with the hash <see cref="Yaml"/> names it by: what submit uploads before the job.</summary>
    public IReadOnlyList<(string File, Sha256Digest Hash)> Uploads { get; private init; } = [];

    /// <summary>A TorchScript model's module file and hash. The network prices the job by the module's parameters, so quote and
    /// submit upload it before asking the price.</summary>
    public (string File, Sha256Digest Hash)? Module { get; private init; }

    /// <exception cref="JobSpecException">The spec breaks a rule, here or on the network.</exception>
    /// <exception cref="CliInputException">A file the spec names cannot be read.</exception>
    public static NetworkSpec Read(string path)
    {
        var local = JobSpecParser.ParseFile(path);
        var yaml = File.ReadAllText(path);
        string? weightsFile = null;
        Sha256Digest? weights = null;
        var uploads = new List<(string, Sha256Digest)>();
        (string, Sha256Digest)? moduleUpload = null;
        if (local.Inference is { } inference)
        {
            weightsFile = inference.Weights;
            weights = HashFile(weightsFile, "inference.weights", "write it with `gensyn train --out` or `gensyn result --out`");
            yaml = WithBlob(yaml, "inference", "weights", "weights", weights.Value);
            uploads.Add((weightsFile, weights.Value));
        }
        if (local.Model is { Kind: ModelKind.TorchScript, Module: { } moduleFile })
        {
            if (TorchScriptModules.SubmissionProblem(local) is { } problem) throw new JobSpecException(problem);
            var module = HashFile(moduleFile, "model.path", "save it with torch.jit.script(model).save(path)");
            yaml = WithBlob(yaml, "model", "path", "module", module);
            uploads.Add((moduleFile, module));
            moduleUpload = (moduleFile, module);
        }
        JobSpecParser.ParseNetwork(SpecDataset.Placeholder(local, yaml), submission: true);
        return new NetworkSpec(yaml, local, weightsFile, weights) { Uploads = uploads, Module = moduleUpload };
    }

    private static Sha256Digest HashFile(string path, string field, string advice)
    {
        try
        {
            using var file = File.OpenRead(path);
            return Sha256Digest.FromBytes(SHA256.HashData(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"{field}: cannot read {path} ({e.GetType().Name}); {advice}");
        }
    }

    /// <summary>
    /// <paramref name="yaml"/> with <c>section.key</c> renamed <paramref name="newKey"/> and its value replaced by the reference to
    /// blob <paramref name="hash"/>, everything else as written.
    /// </summary>
    internal static string WithBlob(string yaml, string section, string key, string newKey, Sha256Digest hash)
    {
        // The text already passed the bounded parse, so building its tree is safe.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var mapping = (YamlMappingNode)root.Children[new YamlScalarNode(section)];
        var keyNode = mapping.Children.Keys.First(k => k is YamlScalarNode { Value: var v } && v == key);
        var node = mapping.Children[keyNode];
        var (start, end) = ((int)node.Start.Index, (int)node.End.Index);
        var (keyStart, keyEnd) = ((int)keyNode.Start.Index, (int)keyNode.End.Index);
        // The value comes after its key: replace it first, so the key's offsets still hold.
        yaml = string.Concat(yaml.AsSpan(0, start), DataPaths.BlobReference(hash.ToString()), yaml.AsSpan(end));
        return string.Concat(yaml.AsSpan(0, keyStart), newKey, yaml.AsSpan(keyEnd));
    }
}

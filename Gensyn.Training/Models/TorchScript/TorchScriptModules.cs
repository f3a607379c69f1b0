using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Models.TorchScript;

/// <summary>A TorchScript module that cannot be used, with the one-line reason.</summary>
public sealed class TorchScriptException(string message) : Exception(message);

/// <summary>
/// A module that passed the checks: its bytes (hash checked, sandboxed), and what pricing needs to know of it.
/// </summary>
/// <param name="Parameters">Values of its parameters and buffers together: the canonical state's model part.</param>
public sealed record CheckedModule(Sha256Digest Hash, byte[] Bytes, long Parameters);

/// <summary>
/// The TorchScript modules this process may run, by the hash of their bytes. A module enters only through
/// <see cref="Admit"/>: hash checked against the reference that named it, then <see cref="TorchScriptSandbox"/>, and
/// only then loaded (to count and check its parameters). Where the bytes come from is the caller's: a worker fetches
/// them through its coordinator link (<see cref="EnsureAsync"/>), a verifier or coordinator from its blobs
/// (<see cref="Ensure"/>), the CLI from the file a local spec names. A coordinator adds its blob store as a
/// <see cref="AddSource">source</see>, so pricing and limits find a module a requester uploaded.
/// </summary>
public static class TorchScriptModules
{
    private static readonly ConcurrentDictionary<Sha256Digest, CheckedModule> Checked = new();
    private static readonly List<Func<Sha256Digest, byte[]?>> Sources = [];

    /// <summary>What the dry forward pass said of a module for an input shape and loss ("" when it passed).</summary>
    private static readonly ConcurrentDictionary<(Sha256Digest, string, ModelLoss), string> Forwards = new();

    /// <summary>Bytes per parameter while training: the value, its gradient, two AdamW moments, the round's start and
    /// the outer momentum (as <see cref="ModelCost"/> counts them).</summary>
    private const int TrainingBytesPerParameter = 4 * 6;

    /// <summary>Adds a place to find a module's bytes by hash (a coordinator's blob store); null when it lacks them.</summary>
    public static void AddSource(Func<Sha256Digest, byte[]?> source)
    {
        lock (Sources) Sources.Add(source);
    }

    /// <summary>
    /// Checks <paramref name="bytes"/>: that they hash to <paramref name="expected"/> (when given), pass the sandbox, load,
    /// and have float parameters. Nothing parses the bytes before the hash and the sandbox passed.
    /// </summary>
    /// <exception cref="TorchScriptException">The module may not be used; the message says why in one line.</exception>
    public static CheckedModule Admit(byte[] bytes, Sha256Digest? expected, string shown)
    {
        var hash = Sha256Digest.Of(bytes);
        if (expected is { } want && want != hash)
            throw new TorchScriptException($"{shown}: the bytes received hash to sha256:{hash}, not the module named; it was not loaded");
        if (Checked.TryGetValue(hash, out var known)) return known;
        if (TorchScriptSandbox.Problem(bytes, shown) is { } problem) throw new TorchScriptException(problem);
        long values;
        try
        {
            using var model = TorchScriptModel.Load(bytes);
            values = StateValues(model, shown);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidCastException)
        {
            throw new TorchScriptException($"{shown}: libtorch cannot load it ({FirstLine(e)}); save it with torch.jit.script(model).save(path)");
        }
        return Checked.GetOrAdd(hash, new CheckedModule(hash, bytes, values));
    }

    /// <summary>The checked module <paramref name="model"/> names: a file (a spec read on this machine), or a blob admitted
    /// before or found in a <see cref="AddSource">source</see>.</summary>
    /// <exception cref="TorchScriptException">It is not here, or may not be used.</exception>
    public static CheckedModule Of(ModelSpec model)
    {
        var reference = model.Module ?? throw new TorchScriptException("model.path: a torchscript model names its module file");
        if (!DataPaths.IsBlobReference(reference)) return Admit(ReadFile(reference), null, $"model.path ({reference})");
        var hash = Sha256Digest.Parse(DataPaths.BlobHex(reference));
        if (Checked.TryGetValue(hash, out var known)) return known;
        if (Uploaded(hash) is { } bytes) return Admit(bytes, hash, $"model.module ({reference})");
        throw new TorchScriptException(
            $"model.module: this machine does not hold blob {reference}; `gensyn submit` uploads the module before the job");
    }

    /// <summary>The bytes of blob <paramref name="hash"/> from a <see cref="AddSource">source</see> (a module, or a
    /// packed dataset's manifest a requester uploaded), or null when none holds it. The caller checks the hash.</summary>
    public static byte[]? Uploaded(Sha256Digest hash)
    {
        Func<Sha256Digest, byte[]?>[] sources;
        lock (Sources) sources = [.. Sources];
        return sources.Select(source => source(hash)).FirstOrDefault(bytes => bytes is not null);
    }

    /// <summary>Admits the module <paramref name="spec"/> names, fetching its bytes with <paramref name="fetch"/> when they are not
    /// here; returns the spec (so a session's factory can call it inline).</summary>
    public static JobSpec Ensure(JobSpec spec, Func<Sha256Digest, byte[]> fetch)
    {
        if (Blob(spec) is { } hash && !Checked.ContainsKey(hash)) Admit(fetch(hash), hash, $"model.module ({spec.Model.Module})");
        return spec;
    }

    /// <summary>As <see cref="Ensure"/>, for a worker that fetches through its coordinator link.</summary>
    public static async Task<JobSpec> EnsureAsync(JobSpec spec, Func<Sha256Digest, Task<byte[]>> fetch)
    {
        if (Blob(spec) is { } hash && !Checked.ContainsKey(hash))
            Admit(await fetch(hash), hash, $"model.module ({spec.Model.Module})");
        return spec;
    }

    /// <summary>
    /// What a job's submission must pass beyond the sandbox, one line or null: the module is found and allowed, its
    /// forward maps a zero batch of the dataset's shape to one tensor of [batch, outputs], and its parameters with their
    /// optimizer state fit in <c>requirements.min-memory-gb</c> (when the spec gives it).
    /// </summary>
    public static string? SubmissionProblem(JobSpec spec)
    {
        if (spec.Model.Kind != ModelKind.TorchScript) return null;
        CheckedModule module;
        try
        {
            module = Of(spec.Model);
        }
        catch (TorchScriptException e)
        {
            return e.Message;
        }
        var gb = (double)module.Parameters * TrainingBytesPerParameter / 1e9;
        if (spec.Requirements.MinMemoryGb > 0 && gb > spec.Requirements.MinMemoryGb)
            return $"model: {module.Parameters:N0} parameters with their gradients and optimizer state need about {gb:0.###} GB, " +
                   $"over requirements.min-memory-gb ({spec.Requirements.MinMemoryGb:0.###}); raise it or use a smaller module";
        // Packed data whose manifest is not here yet (a quote before the upload) has no known shape: the forward is
        // tried when the job itself is submitted, its manifest uploaded.
        if (!ModelCost.ShapeKnown(spec)) return null;
        var shape = ModelCost.ShapeOf(spec);
        var key = (module.Hash, string.Join('x', shape.FeatureShape), spec.Model.Loss);
        var problem = Forwards.GetOrAdd(key, _ => ForwardProblem(module, shape, spec.Model.Loss) ?? "");
        return problem.Length == 0 ? null : problem;
    }

    /// <summary>Builds the model from the admitted module <paramref name="model"/> names (see <see cref="Of"/>), for data of
    /// <paramref name="data"/>'s shape.</summary>
    public static nn.Module<Tensor, Tensor> Create(ModelSpec model, DataShape data)
    {
        var module = Of(model);
        var built = TorchScriptModel.Load(module.Bytes);
        built.train();
        return built;
    }

    /// <summary>Runs the module's forward once on zeros shaped like two examples: it must return one tensor of [2, outputs].</summary>
    private static string? ForwardProblem(CheckedModule module, DataShape shape, ModelLoss loss)
    {
        using var model = TorchScriptModel.Load(module.Bytes);
        model.eval();
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var batch = torch.zeros([2, .. shape.FeatureShape]);
        const string what = "model: the module's forward must take one Tensor (a batch of examples) and return one Tensor";
        Tensor output;
        try
        {
            output = model.forward(batch);
        }
        catch (Exception e) when (e is ExternalException or InvalidCastException or ArgumentException or InvalidOperationException)
        {
            return $"{what} for input [{string.Join(", ", batch.shape)}]; it failed: {FirstLine(e)}";
        }
        if (output.dim() != 2 || output.shape[0] != 2)
            return $"{what} of [batch, outputs]; for input [{string.Join(", ", batch.shape)}] it returned [{string.Join(", ", output.shape)}]";
        if (output.dtype != ScalarType.Float32)
            return $"{what} of float32; it returned {output.dtype}";
        if (loss == ModelLoss.CrossEntropy && output.shape[1] < 2)
            return "model.loss: cross-entropy needs an output per class (at least 2); use loss: mse for a single output";
        return null;
    }

    private static long StateValues(TorchScriptModel model, string shown)
    {
        var parameters = model.named_parameters().ToList();
        var buffers = model.named_buffers().ToList();
        try
        {
            if (parameters.Count == 0)
                throw new TorchScriptException($"{shown}: the module has no parameters, so there is nothing to train");
            foreach (var (name, tensor) in parameters.Select(p => (p.name, (Tensor)p.parameter)).Concat(buffers))
                if (tensor.dtype != ScalarType.Float32)
                    throw new TorchScriptException(
                        $"{shown}: '{name}' is {tensor.dtype}; a module's parameters and buffers must be float32 " +
                        "(for BatchNorm use track_running_stats=False, or LayerNorm)");
            return parameters.Sum(p => p.parameter.numel()) + buffers.Sum(b => b.buffer.numel());
        }
        finally
        {
            foreach (var (_, p) in parameters) p.Dispose();
            foreach (var (_, b) in buffers) b.Dispose();
        }
    }

    private static Sha256Digest? Blob(JobSpec spec) =>
        spec.Model is { Kind: ModelKind.TorchScript, Module: { } m } && DataPaths.IsBlobReference(m)
            ? Sha256Digest.Parse(DataPaths.BlobHex(m))
            : null;

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchScriptException(
                $"model.path: cannot read {path} ({e.GetType().Name}); save the module with torch.jit.script(model).save(path)");
        }
    }

    private static string FirstLine(Exception e) =>
        e.GetBaseException().Message.Split('\n', 2)[0].Trim();
}

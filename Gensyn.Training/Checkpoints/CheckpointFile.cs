using System.Globalization;
using Gensyn.Contracts;
using Gensyn.Training.State;

namespace Gensyn.Training.Checkpoints;

/// <summary>
/// Training states on disk as safetensors. A checkpoint keeps the whole state (parameters, optimizer
/// buffers, step) with its digest in the metadata, and loading refuses a file whose contents no longer
/// hash to that digest. A model file keeps the parameters only, under PyTorch's own names.
/// </summary>
public static class CheckpointFile
{
    public const string DigestKey = "gensyn.digest";
    public const string StepKey = "gensyn.step";

    public static byte[] Serialize(StateSnapshot state, IReadOnlyDictionary<string, string>? extra = null)
    {
        var metadata = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            [DigestKey] = state.Digest().ToString(),
            [StepKey] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["format"] = "pt",
        };
        return SafeTensors.Serialize(state.Tensors, metadata);
    }

    public static void Save(string path, StateSnapshot state, IReadOnlyDictionary<string, string>? extra = null) =>
        WriteAtomically(path, Serialize(state, extra));

    /// <summary>Parses a checkpoint and checks its digest.</summary>
    public static (StateSnapshot State, IReadOnlyDictionary<string, string> Metadata) Deserialize(byte[] bytes, string source)
    {
        var (tensors, metadata) = SafeTensors.Deserialize(bytes, source);
        if (!metadata.TryGetValue(StepKey, out var stepText) || !long.TryParse(stepText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var step))
            throw new CheckpointException($"{source}: not a Gensyn checkpoint (no {StepKey} in its metadata)");
        if (!metadata.TryGetValue(DigestKey, out var digestText) || !Sha256Digest.TryParse(digestText, out var expected))
            throw new CheckpointException($"{source}: not a Gensyn checkpoint (no valid {DigestKey} in its metadata)");
        StateSnapshot state;
        try
        {
            state = new StateSnapshot(tensors, step);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{source}: {e.Message}");
        }
        var actual = state.DigestAndRemember();
        if (actual != expected && expected == Sha256Digest.Of(state.CanonicalBytes()))
            throw new CheckpointException(
                $"{source}: recorded digest {expected} is the serial SHA-256 that versions before the chunked " +
                "state digest (1 MiB Merkle chunks) wrote; this version cannot use it: recompute the file");
        if (actual != expected)
            throw new CheckpointException($"{source}: contents hash to {actual}, not the recorded digest {expected}; the file is corrupt, delete it and recompute");
        return (state, metadata);
    }

    public static (StateSnapshot State, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint not found");
        return Deserialize(File.ReadAllBytes(path), path);
    }

    /// <summary>Writes the parameters of a state as a PyTorch-loadable model file (names without the "param/" prefix).</summary>
    public static void SaveModel(string path, StateSnapshot state, IReadOnlyDictionary<string, string> metadata) =>
        WriteAtomically(path, SerializeModel(state, metadata));

    /// <summary>The bytes <see cref="SaveModel"/> writes.</summary>
    public static byte[] SerializeModel(StateSnapshot state, IReadOnlyDictionary<string, string> metadata)
    {
        var parameters = state.WithPrefix("param/").Select(t => t with { Name = t.Name["param/".Length..] }).ToList();
        var all = new Dictionary<string, string>(metadata) { ["format"] = "pt" };
        return SafeTensors.Serialize(parameters, all);
    }

    /// <summary>Writes bytes to <paramref name="path"/> through a temporary file, so a reader never sees half a file.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }
}

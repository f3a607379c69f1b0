using System.Globalization;
using Gensyn.Contracts;
using Gensyn.Training.Training;

namespace Gensyn.Training.Checkpoints;

/// <summary>
/// A shard checkpoint on disk: the state after step c, plus the committed digests up to it (leaves 0..c / commit-every;
/// every step's when the shard commits every step) and the losses so far in the metadata, so a resumed shard commits
/// to the same Merkle root as an uninterrupted one. How many digests the shard's commit interval asks for is checked
/// where the shard is known (<see cref="TrainingSession.RunShard"/>, the coordinator's admission, the verifier).
/// </summary>
public static class ShardCheckpointFile
{
    private const string RoundKey = "gensyn.round", ShardKey = "gensyn.shard", LocalStepKey = "gensyn.local-step",
                         DigestsKey = "gensyn.step-digests", LossesKey = "gensyn.losses";

    public static void Save(string path, ShardCheckpoint checkpoint) => CheckpointFile.Save(path, checkpoint.State, Metadata(checkpoint));

    public static byte[] Serialize(ShardCheckpoint checkpoint) => CheckpointFile.Serialize(checkpoint.State, Metadata(checkpoint));

    public static ShardCheckpoint Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint not found");
        return Deserialize(File.ReadAllBytes(path), path);
    }

    public static ShardCheckpoint Deserialize(byte[] bytes, string source)
    {
        var (state, metadata) = CheckpointFile.Deserialize(bytes, source);
        try
        {
            var localStep = int.Parse(metadata[LocalStepKey], CultureInfo.InvariantCulture);
            var digests = metadata[DigestsKey].Split(',').Select(Sha256Digest.Parse).ToArray();
            var losses = metadata[LossesKey].Length == 0 ? [] : metadata[LossesKey].Split(',').Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            if (localStep < 0 || digests.Length < 1 || digests.Length > localStep + 1)
                throw new FormatException($"{digests.Length} step digests for step {localStep}");
            return new ShardCheckpoint(int.Parse(metadata[RoundKey], CultureInfo.InvariantCulture), int.Parse(metadata[ShardKey], CultureInfo.InvariantCulture),
                                       localStep, state, digests, losses);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new CheckpointException($"{source}: not a shard checkpoint ({e.Message})");
        }
    }

    private static Dictionary<string, string> Metadata(ShardCheckpoint c) => new()
    {
        [RoundKey] = c.Round.ToString(CultureInfo.InvariantCulture),
        [ShardKey] = c.Shard.ToString(CultureInfo.InvariantCulture),
        [LocalStepKey] = c.LocalStep.ToString(CultureInfo.InvariantCulture),
        [DigestsKey] = string.Join(',', c.Digests),
        [LossesKey] = string.Join(',', c.Losses.Select(l => l.ToString("R", CultureInfo.InvariantCulture))),
    };
}

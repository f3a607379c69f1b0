using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Determinism;
using Gensyn.Training.State;

namespace Gensyn.Training.Training;

/// <summary>
/// Everything that decides one shard's H inner steps besides its start state: the round and shard
/// (which key the data order), the data slice, H, the batch size, the seed and the optimizer settings.
/// </summary>
public sealed record ShardTask(
    int Round,
    int Shard,
    DataSlice Slice,
    int InnerSteps,
    int BatchSize,
    long Seed,
    InnerOptimizerSpec Optimizer,
    int CheckpointEvery)
{
    /// <summary>The task of shard <paramref name="shard"/> in round <paramref name="round"/> of a job.</summary>
    public static ShardTask For(JobSpec spec, int round, int shard, long trainingExamples)
    {
        var t = spec.RequireTraining();
        return new ShardTask(round, shard, DataSlice.ForShard(trainingExamples, shard, t.Shards), t.InnerSteps,
            t.BatchSize, t.Seed, t.InnerOptimizer, t.CheckpointEvery);
    }
}

/// <summary>
/// A shard's result: its final state, the digests of the states after steps 0..H (step 0 = the start
/// state), their Merkle root (the shard's commitment), and the training loss of each step 1..H.
/// </summary>
public sealed record ShardOutcome(
    StateSnapshot FinalState,
    IReadOnlyList<Sha256Digest> StepDigests,
    Sha256Digest MerkleRoot,
    IReadOnlyList<float> Losses);

/// <summary>A shard's progress after <see cref="LocalStep"/> steps: enough to resume and still commit to the same root.</summary>
public sealed record ShardCheckpoint(
    int Round,
    int Shard,
    int LocalStep,
    StateSnapshot State,
    IReadOnlyList<Sha256Digest> Digests,
    IReadOnlyList<float> Losses);

/// <summary>
/// Receives a running shard's per-step losses (on the training thread) and checkpoints (on the digest
/// thread, once the step digests they carry are known). Keep both quick; every call ends before RunShard returns.
/// </summary>
public interface IShardObserver
{
    void OnStep(int localStep, float loss);
    void OnCheckpoint(ShardCheckpoint checkpoint);
}

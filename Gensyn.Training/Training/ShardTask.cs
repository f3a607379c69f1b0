using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Determinism;
using Gensyn.Training.State;

namespace Gensyn.Training.Training;

/// <summary>
/// Everything that decides one shard's H inner steps besides its start state: the round and shard
/// (which key the data order), the data slice, H, the batch size, the seed and the optimizer settings.
/// <see cref="CommitEvery"/> is c: the shard commits the states after local steps 0, c, 2c, ..., H (H always), its
/// leaves 0..<see cref="Segments"/>; segment s runs local steps <see cref="LeafStep"/>(s − 1) + 1 .. LeafStep(s).
/// </summary>
public sealed record ShardTask(
    int Round,
    int Shard,
    DataSlice Slice,
    int InnerSteps,
    int BatchSize,
    long Seed,
    InnerOptimizerSpec Optimizer,
    int CheckpointEvery,
    int CommitEvery = 1)
{
    /// <summary>c as applied: at least 1 and at most H.</summary>
    public int Every => Math.Clamp(CommitEvery, 1, Math.Max(1, InnerSteps));

    /// <summary>The committed segments, ceil(H / c); the tree has one more leaf (the start state).</summary>
    public int Segments => (InnerSteps + Every - 1) / Every;

    /// <summary>The local step whose state leaf <paramref name="leaf"/> (0..<see cref="Segments"/>) commits.</summary>
    public int LeafStep(int leaf) => Math.Min(leaf * Every, InnerSteps);

    /// <summary>Whether the state after local step <paramref name="localStep"/> is committed (0, c, ..., H).</summary>
    public bool Commits(int localStep) => localStep % Every == 0 || localStep == InnerSteps;

    /// <summary>The segment (1..<see cref="Segments"/>) that runs local step <paramref name="localStep"/>.</summary>
    public int SegmentOf(int localStep) => (localStep + Every - 1) / Every;

    /// <summary>The leaf of committed local step <paramref name="localStep"/> (see <see cref="Commits"/>).</summary>
    public int LeafOf(int localStep) => localStep >= InnerSteps ? Segments : localStep / Every;

    /// <summary>The task of shard <paramref name="shard"/> in round <paramref name="round"/> of a job.</summary>
    public static ShardTask For(JobSpec spec, int round, int shard, long trainingExamples)
    {
        var t = spec.RequireTraining();
        return new ShardTask(round, shard, DataSlice.ForShard(trainingExamples, shard, t.Shards), t.InnerSteps,
            t.BatchSize, t.Seed, t.InnerOptimizer, t.CheckpointEvery, t.CommitEvery);
    }
}

/// <summary>
/// A shard's result: its final state, the digests of the committed states (<see cref="StepDigests"/>: the leaves, the
/// states after local steps 0, c, 2c, ..., H; step 0 = the start state), their Merkle root (the shard's commitment),
/// and the training loss of each step 1..H.
/// </summary>
public sealed record ShardOutcome(
    StateSnapshot FinalState,
    IReadOnlyList<Sha256Digest> StepDigests,
    Sha256Digest MerkleRoot,
    IReadOnlyList<float> Losses);

/// <summary>
/// A shard's progress after <see cref="LocalStep"/> steps (a committed step): enough to resume and still commit to the
/// same root. <see cref="Digests"/> are the committed leaves up to it (leaves 0..LocalStep / c).
/// </summary>
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

using System.Collections.Immutable;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>One shard of the current round, as the journal knows it (immutable: <see cref="JobState.Apply"/> replaces
/// it).</summary>
public sealed record ShardRecord(int Shard)
{
    public int Epoch { get; init; }
    public WorkerId? WorkerId { get; init; }
    public bool Done { get; init; }
    public Sha256Digest? EndState { get; init; }
    public Sha256Digest? MerkleRoot { get; init; }
    public double MeanLoss { get; init; }

    /// <summary>The latest checkpoint of the current epoch's worker, if any.</summary>
    public Sha256Digest? Checkpoint { get; init; }
    public int CheckpointStep { get; init; }

    /// <summary>
    /// The journalled checkpoints the shard's checkpoint rests on, with their makers' keys and signatures, ascending:
    /// the last one of each worker that a later one resumed from, then the shard's checkpoint itself
    /// (<see cref="Saved"/>). Empty in snapshots written before checkpoints were signed: such a checkpoint is never
    /// resumed.
    /// </summary>
    public ImmutableList<ShardCheckpointSaved> Lineage { get; init; } = [];

    /// <summary>The journalled record of <see cref="Checkpoint"/>, if any.</summary>
    public ShardCheckpointSaved? Saved => Lineage.IsEmpty ? null : Lineage[^1];

    /// <summary>The shard's checkpoint is now <paramref name="k"/>: a later checkpoint of the same assignment replaces
    /// its own earlier one, the first of a new one (which resumed from the last) follows it.</summary>
    public ShardRecord Checkpointed(ShardCheckpointSaved k) => this with
    {
        Checkpoint = k.Checkpoint, CheckpointStep = k.LocalStep,
        Lineage = Saved is { } last && last.Epoch == k.Epoch && last.WorkerId == k.WorkerId
            ? Lineage.SetItem(Lineage.Count - 1, k)
            : Lineage.Add(k),
    };

    /// <summary>Distinct workers this shard failed on in this round (faults, not busy refusals).</summary>
    public ImmutableHashSet<WorkerId> FailedWorkers { get; init; } = ImmutableHashSet<WorkerId>.Empty;

    /// <summary>The assignments whose result still counts, by epoch: one, or two replicas in replicated mode.</summary>
    public ImmutableSortedDictionary<int, WorkerId> Live { get; init; } = ImmutableSortedDictionary<int, WorkerId>.Empty;

    /// <summary>Forgets an assignment; the shard's worker becomes the latest live one, if any.</summary>
    public ShardRecord End(int epoch)
    {
        var live = Live.Remove(epoch);
        return this with { Live = live, WorkerId = live.IsEmpty ? null : live.Last().Value };
    }

    /// <summary>Drops the shard's checkpoint: a re-run starts from the round's start state.</summary>
    public ShardRecord WithoutCheckpoint() => this with { Checkpoint = null, CheckpointStep = 0, Lineage = [] };
}

using System.Collections.Immutable;
using Gensyn.Contracts;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The shards a worker stands behind until their results are judged: the coordinator frees a worker for its next
/// shard as soon as a result is committed, so the challenge of one shard may come while the next one trains. Each is
/// forgotten when the coordinator is done with it (<see cref="Gensyn.Contracts.Messages.AbandonShard"/>: accepted,
/// rejected or reassigned); past <see cref="Capacity"/> the oldest goes first, so a coordinator that never says so
/// cannot make the worker keep every trajectory. Pure.
/// </summary>
public sealed record CommittedShards
{
    /// <summary>How many commitments a worker keeps when none is given.</summary>
    public const int DefaultCapacity = 4;

    public CommittedShards(int capacity = DefaultCapacity) => Capacity = Math.Max(1, capacity);

    /// <summary>The most commitments kept at once.</summary>
    public int Capacity { get; }

    /// <summary>The commitments kept, oldest first.</summary>
    public ImmutableList<CommittedShard> Held { get; private init; } = [];

    /// <summary>
    /// Keeps <paramref name="shard"/> (replacing a commitment for the same attempt); <paramref name="dropped"/> is the
    /// oldest one let go to stay within <see cref="Capacity"/>, if any.
    /// </summary>
    public CommittedShards Hold(CommittedShard shard, out CommittedShard? dropped)
    {
        var a = shard.Assignment;
        var held = Held.RemoveAll(c => c.Is(a.JobId, a.Round, a.Shard, a.Epoch)).Add(shard);
        dropped = held.Count > Capacity ? held[0] : null;
        return this with { Held = dropped is null ? held : held.RemoveAt(0) };
    }

    /// <summary>The commitment for that attempt of that shard, if kept.</summary>
    public CommittedShard? Find(JobId jobId, int round, int shard, int epoch) =>
        Held.FirstOrDefault(c => c.Is(jobId, round, shard, epoch));

    /// <summary>Without the commitment for that attempt of that shard.</summary>
    public CommittedShards Forget(JobId jobId, int round, int shard, int epoch) =>
        this with { Held = Held.RemoveAll(c => c.Is(jobId, round, shard, epoch)) };

    /// <summary>Without any (the session that assigned them is gone).</summary>
    public CommittedShards Clear() => this with { Held = [] };
}

using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>A full replay of <paramref name="Result"/>'s shard gave <paramref name="Root"/>;
/// <paramref name="Timeline"/> is the job's journal as a purge reads it.</summary>
public sealed record ResultReplayed(JudgedResult Result, Sha256Digest Root, PurgeTimeline Timeline);

// What a purge does to a job's state (the rules that decide it: Gensyn.Actors/Purge). The ledger is not touched here.
public sealed partial record JobState
{
    /// <summary>
    /// What a conviction of <paramref name="conviction"/>'s key asks of this job, from its journal
    /// (<paramref name="timeline"/>): every result of the key that the job accepted and that still stands, to be
    /// verified again in full. A job that has ended has nothing to purge here (auditing it is another matter); an
    /// inference job has no rounds to roll back.
    /// </summary>
    public IReadOnlyList<JudgedResult> ToReverify(KeyConvicted conviction, PurgeTimeline timeline) =>
        !Exists || IsTerminal || Spec!.Kind != JobKind.Train ? [] : PurgeRules.Affected(timeline, conviction.Address);

    /// <summary>
    /// A full re-verification of a result recomputed its shard to a root:
    /// equal to the committed root, the result stands and nothing is journalled; different, the worker's signed root
    /// is false, and the result is revoked as fraud with the hash of that evidence. A result that was checked across
    /// numeric classes stands (its root is not comparable bit for bit with a replay). A result that no longer stands
    /// (or a job that has ended, unless it completed and is marked for an audit of the result's key) leads to
    /// nothing.
    /// </summary>
    public JobDecision Reverified(ResultReplayed replayed, DateTimeOffset now)
    {
        var (result, recomputed, timeline) = (replayed.Result, replayed.Root, replayed.Timeline);
        var audited = Phase == JobPhase.Completed && timeline.AuditMarked(result.Address);
        if (!Exists || IsTerminal && !audited || recomputed == result.MerkleRoot) return JobDecision.None;
        var standing = timeline.Results.FirstOrDefault(r => r.Round == result.Round && r.Shard == result.Shard
            && r.Epoch == result.Epoch && r.WorkerId == result.WorkerId && r.Generation == result.Generation);
        if (standing is not { Accepted: true }) return JobDecision.None;
        if (timeline.CheckedWithinTolerance(result))
            return JobDecision.None with
            {
                Warning = $"Job {JobId}: round {result.Round} shard {result.Shard} of worker {result.WorkerId} was " +
                          "checked across numeric classes: its root cannot be compared bit for bit with a replay on " +
                          "another class, so it stands",
            };
        var evidence = $"gensyn-reverify|{JobId}|round {result.Round}|shard {result.Shard}|epoch {result.Epoch}|" +
                       $"worker {result.WorkerId}|{result.Address}|committed {result.MerkleRoot}|replayed {recomputed}";
        var reason = $"a full replay of round {result.Round} shard {result.Shard} gives root {recomputed}, not the " +
                     $"root {result.MerkleRoot} that worker {result.WorkerId} signed";
        return JobDecision.Persist(new ResultRevoked(result.Round, result.Shard, result.Epoch, (WorkerId)result.WorkerId,
            result.Address, VerdictOutcome.Fraud, reason, result.MerkleRoot, ConvictionRule.HashOf(evidence),
            standing.Aggregated, now)) with { Advance = true };
    }

    /// <summary>The rollback the job's journalled revocations call for (<see cref="PurgeRules.Rollback"/>), or null:
    /// none, or the job has ended.</summary>
    public RoundsRolledBack? RollbackDue(PurgeTimeline timeline, DateTimeOffset now) =>
        !Exists || IsTerminal ? null : PurgeRules.Rollback(timeline, now);

    /// <summary>
    /// A result revoked after the fact counts as rejected, its key gets none of this job's shards again, and when it
    /// is the result that completed a shard of the open round, that shard runs again from the round's start state.
    /// </summary>
    private JobState Revoked(ResultRevoked r)
    {
        var open = RoundOpen && r.Round == Round && r.Shard >= 0 && r.Shard < Shards.Count;
        var next = this with
        {
            JobAccepted = Math.Max(0, JobAccepted - 1), JobRejected = JobRejected + 1,
            RoundAccepted = open ? Math.Max(0, RoundAccepted - 1) : RoundAccepted,
            RoundRejected = open ? RoundRejected + 1 : RoundRejected,
            ExcludedWorkers = ExcludedWorkers.Add(r.WorkerId),
            ExcludedAddresses = string.IsNullOrEmpty(r.WorkerAddress)
                ? ExcludedAddresses : ExcludedAddresses.Add(r.WorkerAddress.ToLowerInvariant()),
        };
        if (!open || !Shards[r.Shard].Done || Shards[r.Shard].MerkleRoot != r.MerkleRoot) return next;
        return next.WithShard(r.Shard, s => new ShardRecord(s.Shard)
        {
            Epoch = s.Epoch, FailedWorkers = s.FailedWorkers.Add(r.WorkerId),
        });
    }

    /// <summary>
    /// The job returns to the start of round <see cref="RoundsRolledBack.FromRound"/>: no round open, the completed
    /// rounds before it kept, the states that round starts from restored, so that the next step starts it again. A
    /// rollback of a round the job has not reached, or of a job that has ended, changes nothing.
    /// </summary>
    private JobState RolledBack(RoundsRolledBack b)
    {
        var reachable = b.FromRound >= 0 && b.FromRound <= CompletedRounds && b.FromRound <= Round
                        && (b.FromRound == 0 || b.RestoredGlobal is not null && b.RestoredShardEnds is not null);
        if (!Exists || IsTerminal || !reachable) return this;
        return this with
        {
            Round = b.FromRound - 1, RoundOpen = false, RoundGlobal = null, ShardStarts = [], ShardStartSizes = [],
            ShardSteps = null, Shards = [], RoundAccepted = 0, RoundRejected = 0,
            LastGlobal = b.RestoredGlobal, LastShardEnds = b.RestoredShardEnds,
            History = History.RemoveAll(h => h.Round >= b.FromRound),
        };
    }
}

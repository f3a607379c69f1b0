using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>A full replay of <paramref name="Result"/>'s shard gave <paramref name="Root"/>;
/// <paramref name="Timeline"/> is the job's journal as a purge reads it.</summary>
public sealed record ResultReplayed(JudgedResult Result, Sha256Digest Root, PurgeTimeline Timeline);

/// <summary><paramref name="Result"/> cannot be verified again, for <paramref name="Why"/>
/// (<see cref="ReplayRule"/>).</summary>
public sealed record ResultUnverifiable(JudgedResult Result, string Why, PurgeTimeline Timeline);

// What a purge does to a job's state (the rules that decide it: Gensyn.Actors/Purge). The ledger is not touched here.
public sealed partial record JobState
{
    /// <summary>
    /// What a conviction of <paramref name="conviction"/>'s key asks of this job, from its journal
    /// (<paramref name="timeline"/>): every result of the key that the job accepted and that still stands, to be
    /// verified again in full. A job that has ended has nothing to purge here (auditing it is another matter). An
    /// inference job's results are verified the same way (every batch recomputed, the roots compared): its one round
    /// runs the revoked shards again, or returns to its start once it was aggregated.
    /// </summary>
    public IReadOnlyList<JudgedResult> ToReverify(KeyConvicted conviction, PurgeTimeline timeline) =>
        !Exists || IsTerminal ? [] : PurgeRules.Affected(timeline, conviction.Address);

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
        if (recomputed == result.MerkleRoot || Standing(result, timeline) is not { } standing)
            return JobDecision.None;
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
        return Revoke(standing, VerdictOutcome.Fraud, reason, evidence, now);
    }

    /// <summary>
    /// A convicted key's result that can no longer be verified (<see cref="ReplayRule"/>: its inputs are gone, or its
    /// replay kept failing) does not stand unverified: it is revoked as unverifiable, which is not fraud (no slash),
    /// and recomputed like any revoked result, its payout coming back out of the convicted stake. A result that no
    /// longer stands, or one checked across numeric classes (which stands whatever a replay gives), leads to nothing.
    /// </summary>
    public JobDecision Unverified(ResultUnverifiable unverifiable, DateTimeOffset now)
    {
        var (result, timeline) = (unverifiable.Result, unverifiable.Timeline);
        if (Standing(result, timeline) is not { } standing || timeline.CheckedWithinTolerance(result))
            return JobDecision.None;
        var reason = $"worker {result.WorkerId}'s result of round {result.Round} shard {result.Shard} cannot be " +
                     $"verified again: {unverifiable.Why}; its key is convicted, so it is recomputed, not kept";
        var evidence = $"gensyn-unverifiable|{JobId}|round {result.Round}|shard {result.Shard}|epoch {result.Epoch}|" +
                       $"worker {result.WorkerId}|{result.Address}|committed {result.MerkleRoot}|{unverifiable.Why}";
        return Revoke(standing, VerdictOutcome.Unverifiable, reason, evidence, now);
    }

    /// <summary>The standing, accepted journal entry of <paramref name="result"/>, or null: it no longer stands, or
    /// the job has ended (unless it completed and is marked for an audit of the result's key).</summary>
    private JudgedResult? Standing(JudgedResult result, PurgeTimeline timeline)
    {
        var audited = Phase == JobPhase.Completed && timeline.AuditMarked(result.Address);
        if (!Exists || IsTerminal && !audited) return null;
        var standing = timeline.Results.FirstOrDefault(r => r.Round == result.Round && r.Shard == result.Shard
            && r.Epoch == result.Epoch && r.WorkerId == result.WorkerId && r.Generation == result.Generation);
        return standing is { Accepted: true } ? standing : null;
    }

    private JobDecision Revoke(JudgedResult standing, VerdictOutcome outcome, string reason, string evidence,
                               DateTimeOffset now) =>
        JobDecision.Persist(new ResultRevoked(standing.Round, standing.Shard, standing.Epoch,
            (WorkerId)standing.WorkerId, standing.Address, outcome, reason, standing.MerkleRoot,
            ConvictionRule.HashOf(evidence), standing.Aggregated, now)) with { Advance = true };

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
        var next = CountedRevoked(r, open) with
        {
            JobAccepted = Math.Max(0, JobAccepted - 1), JobRejected = JobRejected + 1,
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
            ShardSteps = null, Shards = [], RoundVerdicts = [],
            LastGlobal = b.RestoredGlobal, LastShardEnds = b.RestoredShardEnds, LastUpdate = null,
            History = History.RemoveAll(h => h.Round >= b.FromRound),
        };
    }
}

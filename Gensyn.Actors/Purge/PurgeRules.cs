using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// What a conviction does to one job, with no actors in it. <see cref="Affected"/>: the results of the convicted key
/// that the job accepted and that still stand; each is re-verified in full, and one that fails is revoked
/// (<see cref="ResultRevoked"/>). <see cref="Rollback"/>: once revocations are journalled, whether the job must return
/// to the start of a round (the earliest round whose revoked result its model had taken in) and which round
/// states it discards. <see cref="Reruns"/>: the revoked results that only need their shard run again (the open
/// round had not aggregated them). <see cref="RefusalCharge"/>: what a conviction for refusal charges the key in the
/// job.
/// </summary>
public static class PurgeRules
{
    /// <summary>The accepted, unrevoked results of <paramref name="address"/> in the job, in journal order, each with
    /// whether it was aggregated (and paid).</summary>
    public static IReadOnlyList<JudgedResult> Affected(PurgeTimeline timeline, string address) =>
        string.IsNullOrEmpty(address) ? [] : timeline.Results.Where(r => r.Accepted && r.Of(address)).ToList();

    /// <summary>The results of <paramref name="address"/> that the job's model took in: accepted, unrevoked and
    /// aggregated by a round that still stands. A completed job is marked for an audit when their key is
    /// convicted.</summary>
    public static IReadOnlyList<JudgedResult> Contributed(PurgeTimeline timeline, string address) =>
        Affected(timeline, address).Where(r => r.Aggregated).ToList();

    /// <summary>
    /// The rollback the journalled revocations call for, or null when no revoked result is still part of the model:
    /// the job returns to the start of the earliest round with one, discarding the states of that round and every
    /// round started after it. The reason and evidence are that revoked result's. Once applied, the same revocations
    /// call for nothing more.
    /// </summary>
    public static RoundsRolledBack? Rollback(PurgeTimeline timeline, DateTimeOffset at)
    {
        var first = timeline.Results.Where(r => r.Revoked && r.Aggregated)
            .OrderBy(r => r.Round).ThenBy(r => r.Shard).FirstOrDefault();
        if (first?.Revocation is not { } revoked) return null;
        var from = first.Round;
        var discarded = Enumerable.Range(from, Math.Max(0, timeline.LatestRound - from + 1)).ToList();
        var reason = $"round {from} shard {first.Shard}: the result of worker {first.WorkerId} ({first.Address}) " +
                     $"failed its re-verification ({revoked.Outcome.ToString().ToLowerInvariant()}: {revoked.Reason})";
        return new RoundsRolledBack(timeline.JobId, from, reason, revoked.EvidenceHash, discarded,
            from == 0 ? null : timeline.GlobalAfter(from - 1),
            from == 0 ? null : timeline.ShardEndsAfter(from - 1), at);
    }

    /// <summary>
    /// The revoked results whose shard must run again without a rollback: those of the open round (started, not yet
    /// aggregated, in the current generation). A revoked result of a round that a rollback discarded needs nothing:
    /// that round is being recomputed anyway.
    /// </summary>
    public static IReadOnlyList<JudgedResult> Reruns(PurgeTimeline timeline) =>
        timeline.Results.Where(r => r.Revoked && !r.Aggregated && r.Round == timeline.LatestRound
                                    && !timeline.IsCompleted(r.Round) && r.Generation == timeline.GenerationOf(r.Round))
            .ToList();

    /// <summary>The challenges <paramref name="address"/> left unanswered in the job, in journal order. The job
    /// journals an unanswered challenge only while the worker's session is alive (a worker whose process died is
    /// released, not judged), and each sent its shard to run again elsewhere.</summary>
    public static IReadOnlyList<JudgedResult> Unanswered(PurgeTimeline timeline, string address) =>
        string.IsNullOrEmpty(address)
            ? []
            : timeline.Results.Where(r => r.Outcome == VerdictOutcome.Unavailable && r.Of(address)).ToList();

    /// <summary>
    /// What <paramref name="conviction"/> charges its key in the job, once: when it is a conviction for refusal, the
    /// recomputation of every challenge the key left unanswered here (for an invalid answer, of every result of the
    /// key judged invalid here: an invalid answer is not slashed as fraud, so its conviction pays this way), and the conviction's slash when this job's
    /// verdict convicted it (<see cref="KeyConvicted.Job"/>: so the slash is taken once, in one job). Null when there
    /// is nothing to charge: another ground, a job with no payer, neither unanswered challenges nor the slash here,
    /// or a charge for this conviction already journalled.
    /// </summary>
    public static RefusalCharged? RefusalCharge(PurgeTimeline timeline, KeyConvicted conviction, DateTimeOffset at)
    {
        if (conviction.Ground is not (ConvictionGround.Refusal or ConvictionGround.InvalidAnswer)
            || timeline.Payer is null || timeline.Charged(conviction.EvidenceHash))
            return null;
        var rerun = conviction.Ground == ConvictionGround.Refusal
            ? Unanswered(timeline, conviction.Address)
            : Invalid(timeline, conviction.Address);
        var slash = conviction.Job is { } job && job == timeline.JobId;
        if (rerun.Count == 0 && !slash) return null;
        return new RefusalCharged(conviction.Address, conviction.EvidenceHash, rerun.Count,
            rerun.Count == 0 ? Math.Max(0, timeline.LatestRound) : rerun.Max(r => r.Round), slash, at,
            conviction.Ground);
    }

    /// <summary>The results of <paramref name="address"/> the job judged invalid (an answer that cannot be checked,
    /// or a copy of another's roots), in journal order: each sent its shard to run again elsewhere.</summary>
    public static IReadOnlyList<JudgedResult> Invalid(PurgeTimeline timeline, string address) =>
        string.IsNullOrEmpty(address)
            ? []
            : timeline.Results.Where(r => r.Outcome == VerdictOutcome.Invalid && r.Of(address)).ToList();
}

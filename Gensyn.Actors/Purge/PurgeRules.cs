using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// What a conviction does to one job, with no actors in it. <see cref="Affected"/>: the results of the convicted key
/// that the job accepted and that still stand; each is re-verified in full, and one that fails is revoked
/// (<see cref="ResultRevoked"/>). <see cref="Rollback"/>: once revocations are journalled, whether the job must return
/// to the start of a round (the earliest round whose revoked result its model had taken in) and which round
/// states it discards. <see cref="Reruns"/>: the revoked results that only need their shard run again (the open
/// round had not aggregated them).
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
}

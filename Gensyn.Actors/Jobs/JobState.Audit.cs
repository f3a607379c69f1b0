using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A conviction that reaches a job after it completed: the job is marked for an audit of the key's results, and an
// audit that revokes a result its model took in reopens it to recompute from the earliest affected round.
public sealed partial record JobState
{
    /// <summary>
    /// The mark a conviction of <paramref name="conviction"/>'s key leaves on this job, from its journal
    /// (<paramref name="timeline"/>), or null: only a completed job is marked (a running one purges the key itself; a
    /// failed or cancelled one has no model), only when the key's results are in its model
    /// (<see cref="PurgeRules.Contributed"/>), and only once per key.
    /// </summary>
    public AuditDue? AuditFor(KeyConvicted conviction, PurgeTimeline timeline, DateTimeOffset now)
    {
        if (!Exists || Phase != JobPhase.Completed || timeline.AuditMarked(conviction.Address)) return null;
        var contributed = PurgeRules.Contributed(timeline, conviction.Address);
        return contributed.Count == 0
            ? null
            : new AuditDue(conviction.Address.ToLowerInvariant(), conviction.Ground, conviction.Reason,
                conviction.EvidenceHash, contributed.Count, now);
    }

    /// <summary>
    /// What an audit's revocations call for in a completed job, from its journal (<paramref name="timeline"/>): when a
    /// revoked result of a key the job is marked for was in its model, the job reopens (<see cref="JobReopened"/>)
    /// and rolls back to the start of the earliest affected round (<see cref="PurgeRules.Rollback"/>), both written
    /// at once. Null otherwise: a running job rolls back without reopening (<see cref="RollbackDue"/>), and a failed
    /// or cancelled one has no model to recompute.
    /// </summary>
    public IReadOnlyList<IJobEvent>? ReopenDue(PurgeTimeline timeline, DateTimeOffset now)
    {
        if (!Exists || Phase != JobPhase.Completed || PurgeRules.Rollback(timeline, now) is not { } rollback)
            return null;
        var cause = timeline.Results.Where(r => r.Revoked && r.Aggregated && r.Round == rollback.FromRound)
            .FirstOrDefault(r => timeline.AuditMarked(r.Address));
        if (cause is null) return null;
        var reason = $"an audit of key {cause.Address.ToLowerInvariant()} revoked a result in the model: " +
                     rollback.Reason;
        return [new JobReopened(JobId, rollback.FromRound, reason, rollback.EvidenceHash, now), rollback];
    }

    /// <summary>A completed job goes back to running, without its model, until it completes again; any other job is
    /// left as it is.</summary>
    private JobState Reopened(JobReopened e) =>
        Phase != JobPhase.Completed
            ? this
            : this with { Phase = JobPhase.Running, Result = null, FinishedAt = null, Reason = null };
}

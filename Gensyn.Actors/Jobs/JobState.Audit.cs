using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A conviction that reaches a job after it completed: the job is marked for an audit of the key's results.
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
}

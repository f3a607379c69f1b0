using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A completed job that hears of a conviction: when the convicted key's results are in its model, it journals the
// mark (AuditDue) that status and logs show and that `gensyn audit` acts on.
public sealed partial class JobActor
{
    /// <summary>Marks the completed job for an audit of <paramref name="purge"/>'s key, if the state calls for it
    /// (<see cref="JobState.AuditFor"/>).</summary>
    private void MarkAudit(PurgeKey purge)
    {
        if (_state.AuditFor(purge.Conviction, _timeline, DateTimeOffset.UtcNow) is not { } mark) return;
        Persist(mark, e =>
        {
            Applied(e);
            _log.Warning("Job {0}: key {1}, whose {2} result(s) are in its model, is convicted ({3}); " +
                         "`gensyn audit {0}` re-verifies them", _state.JobId, e.Address, e.Results, e.Reason);
        });
    }
}

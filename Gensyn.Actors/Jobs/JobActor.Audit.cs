using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A completed job and a conviction that came after it: when the convicted key's results are in its model, it journals
// the mark (AuditDue) that status and logs show. An audit (AuditJob, from its requester) has each of those results
// replayed in full as a purge does (JobActor.Purge.cs), revokes the ones that fail (JobState.Reverified) and answers
// with what it found once every replay is done. A revoked result that was in the model reopens the job
// (JobState.ReopenDue): it rolls back and recomputes as a running job's purge does, and completes again.
public sealed partial class JobActor
{
    /// <summary>The audit under way: who asked, the keys, and the results still being replayed.</summary>
    private (IActorRef ReplyTo, IReadOnlyList<string> Keys, HashSet<(int Round, int Shard)> Left, int Replayed,
        int Revoked)? _audit;

    private static readonly TimeSpan AuditRetry = TimeSpan.FromSeconds(1);

    private sealed record AuditAgain(AuditJob Audit, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    private void AuditCommands()
    {
        Command<AuditJob>(audit => { if (Known()) Audit(audit, Sender); });
        Command<AuditAgain>(again => Audit(again.Audit, again.ReplyTo));
    }

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

    private void Audit(AuditJob audit, IActorRef replyTo)
    {
        if (_state.Phase != JobPhase.Completed)
        {
            replyTo.Tell(new RequestFailed($"job {_state.JobId} is {_state.Phase.ToString().ToLowerInvariant()}: " +
                                           "only a completed job is audited", InvalidInput: true));
            return;
        }
        if (_audit is not null)
        {
            replyTo.Tell(new RequestFailed($"job {_state.JobId} is being audited already; try again when it is done",
                InvalidInput: false));
            return;
        }
        if (_sinceSnapshot is not null)
        {
            // The results before the snapshot are needed: the journal is read first.
            ReadHistory();
            Timers.StartSingleTimer("audit-again", new AuditAgain(audit, replyTo), AuditRetry);
            return;
        }
        var keys = _timeline.AuditKeys.Order(StringComparer.Ordinal).ToList();
        var results = keys.SelectMany(k => PurgeRules.Contributed(_timeline, k)).ToList();
        _log.Warning("Job {0}: audit of {1} key(s): verifying {2} result(s) in its model again in full", _state.JobId,
            keys.Count, results.Count);
        if (results.Count == 0)
        {
            replyTo.Tell(new AuditReport(_state.JobId, keys, 0, 0));
            return;
        }
        _audit = (replyTo, keys, results.Select(r => (r.Round, r.Shard)).ToHashSet(), 0, 0);
        foreach (var result in results) Replay(result);
    }

    /// <summary>One of the audit's results was replayed; once its verdict is journalled it counts, and the last one
    /// answers the requester.</summary>
    private void AuditReplayed(JudgedResult result)
    {
        if (_audit is null || !_audit.Value.Left.Contains((result.Round, result.Shard))) return;
        DeferAsync(result, r =>
        {
            if (_audit is not { } audit || !audit.Left.Remove((r.Round, r.Shard))) return;
            var revoked = _timeline.Results.Any(x => x.Round == r.Round && x.Shard == r.Shard && x.Epoch == r.Epoch
                                                     && x.WorkerId == r.WorkerId && x.Revoked);
            _audit = audit with { Replayed = audit.Replayed + 1, Revoked = audit.Revoked + (revoked ? 1 : 0) };
            if (audit.Left.Count > 0) return;
            var done = _audit.Value;
            _audit = null;
            _log.Warning("Job {0}: audit done: {1} result(s) verified again, {2} revoked", _state.JobId,
                done.Replayed, done.Revoked);
            done.ReplyTo.Tell(new AuditReport(_state.JobId, done.Keys, done.Replayed, done.Revoked));
        });
    }

    /// <summary>Reopens the completed job if an audit's revocations call for it (<see cref="JobState.ReopenDue"/>):
    /// journals the reopening and the rollback together, then recomputes from the round it returned to.</summary>
    private bool ReopenIfDue()
    {
        if (_state.ReopenDue(_timeline, DateTimeOffset.UtcNow) is not { } events) return false;
        PersistAll(events, Applied);
        DeferAsync(events, reopened =>
        {
            var rollback = reopened.OfType<RoundsRolledBack>().Single();
            _log.Warning("Job {0}: REOPENED by an audit; rolled back to the start of round {1}: {2}", _state.JobId,
                rollback.FromRound, rollback.Reason);
            StopShards();
            Advance();
            Settle();
        });
        return true;
    }
}

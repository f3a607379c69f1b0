using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A job's part in a purge: it tells the conviction board of every verdict it journals, and when a key is convicted
// it has each of that key's accepted results verified again in full (a verifier replays the whole shard and the
// roots are compared), journals the ones that fail (ResultRevoked) and the rollback they call for (RoundsRolledBack),
// and goes on from there. What a conviction leads to is the state's decision (JobState.Purge.cs); this performs it.
public sealed partial class JobActor
{
    /// <summary>The job's journal as a purge reads it; null events before a snapshot it recovered from.</summary>
    private PurgeTimeline _timeline = new();

    /// <summary>Non-null while <see cref="_timeline"/> misses the events before a snapshot: those applied since the
    /// recovery, by sequence number, to add to the history once it is read.</summary>
    private List<(long SequenceNr, IJobEvent Event)>? _sinceSnapshot;

    private IActorRef? _historyReader;
    private readonly List<PurgeKey> _waitingForHistory = [];
    private readonly HashSet<string> _purged = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Results sent to be replayed in full, by round and shard (one replay of a shard at a time).</summary>
    private readonly Dictionary<(int Round, int Shard), JudgedResult> _replaying = [];

    /// <summary>How many times each result's replay failed on the verifier so far (<see cref="ReplayRule"/>).</summary>
    private readonly Dictionary<(int Round, int Shard, int Epoch, string WorkerId), int> _replayFailures = [];

    private ReplaySettings? _replaySettings;

    private ReplaySettings Replays => _replaySettings ??= ReplaySettings.From(Context.System.Settings.Config);

    private void PurgeCommands()
    {
        Command<PurgeKey>(Purge);
        Command<ShardReplayed>(Replayed);
        Command<ReplayAgain>(again => Replay(again.Result));
        Command<RollBackCheck>(_ => RollBackIfDue());
    }

    /// <summary>Every recovered or persisted event goes into the timeline.</summary>
    private void Timeline(IJobEvent e)
    {
        _timeline.Apply(e);
        _sinceSnapshot?.Add((LastSequenceNr, e));
    }

    private void TimelineRestored()
    {
        _timeline = new PurgeTimeline();
        _sinceSnapshot = [];
    }

    /// <summary>After a recovery: a rollback journalled revocations call for but that is not journalled yet (the
    /// node stopped in between) is journalled now, and the board is asked for the convictions so far.</summary>
    private void PurgeRecovered()
    {
        // A completed job may have stopped between an audit's revocation and its reopening.
        if (_sinceSnapshot is null && (!_state.IsTerminal || _state.Phase == JobPhase.Completed))
            Self.Tell(new RollBackCheck());
        if (_state.IsTerminal) return;
        // The rounds before the snapshot: their states stay pinned once the journal is read (PurgeInputs).
        if (_sinceSnapshot is not null) ReadHistory();
        _services.Convictions?.Tell(new GetConvictions(_state.JobId));
    }

    /// <summary>
    /// What a purge may still need while the job runs, kept in the blob store beyond its retention period: every
    /// round's start and end states the journal names (a replay starts from a round's start states, a rollback
    /// restores the states a round left). They are let go when the job ends (<see cref="JobServices.PinBlobs"/>).
    /// </summary>
    private IEnumerable<Sha256Digest> PurgeInputs() => _timeline.States;

    private void Purge(PurgeKey purge)
    {
        if (!_state.Exists || !_purged.Add(purge.Conviction.Address)) return;
        if (_sinceSnapshot is not null)
        {
            // The results before the snapshot are needed: read the whole journal first.
            _purged.Remove(purge.Conviction.Address);
            _waitingForHistory.Add(purge);
            ReadHistory();
            return;
        }
        ChargeRefusal(purge.Conviction);
        if (_state.IsTerminal)
        {
            MarkAudit(purge);
            return;
        }
        var affected = _state.ToReverify(purge.Conviction, _timeline);
        PurgeStarted(purge.Conviction.Address, affected);
        _log.Warning("Job {0}: key {1} is convicted ({2}); verifying its {3} accepted result(s) here again in full",
            _state.JobId, purge.Conviction.Address, purge.Conviction.Reason, affected.Count);
        foreach (var result in affected) Replay(result);
    }

    /// <summary>Reads the whole journal for the timeline, unless a read is under way.</summary>
    private void ReadHistory()
    {
        if (_historyReader is not null) return;
        var journal = Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId);
        _historyReader = Context.ActorOf(JobHistoryReader.Props(journal, PersistenceId, LastSequenceNr));
    }

    /// <summary>The whole journal was read: the timeline is whole again, and the purges that waited for it go
    /// on.</summary>
    private bool PurgeHistoryRead(JobHistoryReader.Read read)
    {
        if (!Sender.Equals(_historyReader)) return false;
        _historyReader = null;
        var later = _sinceSnapshot!.Where(x => x.SequenceNr > read.ToSequenceNr).Select(x => x.Event);
        _timeline = PurgeTimeline.Of(read.Events.Concat(later));
        _sinceSnapshot = null;
        PinBlobs();
        RollBackIfDue();
        foreach (var purge in _waitingForHistory.ToList()) Purge(purge);
        _waitingForHistory.Clear();
        return true;
    }

    /// <summary>Sends <paramref name="result"/> to be replayed in full, unless its inputs are gone: then it cannot be
    /// verified again, and is revoked as unverifiable (<see cref="ReplayRule"/>).</summary>
    private void Replay(JudgedResult result)
    {
        var start = _timeline.StartOf(result);
        if (ReplayRule.InputsGone(result, start, _services.Store.Contains) is { } gone)
        {
            if (_replaying.ContainsKey((result.Round, result.Shard))) return;
            _log.Warning("Job {0}: round {1} shard {2} of worker {3} cannot be replayed: {4}", _state.JobId,
                result.Round, result.Shard, result.WorkerId, gone);
            Unverifiable(result, gone);
            return;
        }
        if (!_replaying.TryAdd((result.Round, result.Shard), result)) return;
        _services.Verifiers.Tell(new ReplayShard(_state.JobId, _state.SpecRef, _state.BaseDirectory, result.Round,
            result.Shard, start!.Value, _services.Blobs));
    }

    private void Replayed(ShardReplayed replayed)
    {
        if (!_replaying.Remove((replayed.Round, replayed.Shard), out var result)) return;
        var key = (result.Round, result.Shard, result.Epoch, result.WorkerId);
        if (replayed.Root is not { } root)
        {
            // The verifier failed, not the worker: the result is replayed again, a bounded number of times.
            var failures = _replayFailures[key] = _replayFailures.GetValueOrDefault(key) + 1;
            var failure = replayed.Failure ?? "no root and no reason";
            switch (ReplayRule.AfterFailure(failures, failure, Replays))
            {
                case ReplayNext.Retry retry:
                    _log.Warning($"Job {_state.JobId}: round {replayed.Round} shard {replayed.Shard} could not be " +
                                 $"replayed ({failure}); attempt {retry.Attempt} of {Replays.ReplayAttempts} " +
                                 $"in {retry.After}");
                    Timers.StartSingleTimer($"replay-{result.Round}-{result.Shard}", new ReplayAgain(result),
                        retry.After);
                    break;
                case ReplayNext.Unverifiable gaveUp:
                    _log.Warning("Job {0}: round {1} shard {2} of worker {3}: {4}; it is revoked as unverifiable",
                        _state.JobId, replayed.Round, replayed.Shard, result.WorkerId, gaveUp.Reason);
                    Unverifiable(result, gaveUp.Reason);
                    break;
            }
            return;
        }
        _replayFailures.Remove(key);
        _log.Info("Job {0}: round {1} shard {2} of worker {3} replayed in full in {4:F1} s: {5}", _state.JobId,
            result.Round, result.Shard, result.WorkerId, replayed.Seconds,
            root == result.MerkleRoot ? "the roots agree, it stands" : "the roots differ");
        Decide(new ResultReplayed(result, root, _timeline));
        AuditReplayed(result);
        ReverifiedResult(result);
    }

    /// <summary>A convicted key's result that cannot be verified again does not stand: the state revokes it
    /// (<see cref="JobState.Unverified"/>).</summary>
    private void Unverifiable(JudgedResult result, string why)
    {
        _replayFailures.Remove((result.Round, result.Shard, result.Epoch, result.WorkerId));
        Decide(new ResultUnverifiable(result, why, _timeline));
        AuditReplayed(result);
        ReverifiedResult(result);
    }

    private sealed record ReplayAgain(JudgedResult Result) : INoSerializationVerificationNeeded;

    /// <summary>Whether a rollback is due is checked as a command of its own: events are persisted from command
    /// handlers, never from the handler of an earlier persist.</summary>
    private sealed record RollBackCheck : INoSerializationVerificationNeeded;

    /// <summary>The journal could not be read: the purges waiting for it try again in a moment.</summary>
    private void PurgeHistoryFailed()
    {
        if (!Sender.Equals(_historyReader)) return;
        _historyReader = null;
        foreach (var purge in _waitingForHistory)
            Timers.StartSingleTimer($"purge-{purge.Conviction.Address}", purge, Replays.ReplayRetry);
        _waitingForHistory.Clear();
    }

    /// <summary>What persisted events mean for a purge: the board hears of every verdict (an unanswered challenge
    /// means the worker's session was alive: a worker whose process died is released, not judged), and a revocation
    /// may call for a rollback.</summary>
    private void Purged(IReadOnlyList<IJobEvent> events)
    {
        foreach (var v in events.OfType<ShardVerified>())
            _services.Convictions?.Tell(new ReportVerdict(_state.JobId, v, SessionAlive: true));
        if (events.Any(e => e is ResultRevoked)) Self.Tell(new RollBackCheck());
    }

    /// <summary>A shard actor's name: a shard that runs again after a revocation or a rollback gets a new one, since
    /// the actor that ran it before may not have stopped yet.</summary>
    private string ShardActorName(int shard)
    {
        var name = $"round-{_state.Round}-shard-{shard}";
        var again = 0;
        while (!Context.Child(again == 0 ? name : $"{name}-again-{again}").IsNobody()) again++;
        return again == 0 ? name : $"{name}-again-{again}";
    }

    /// <summary>Journals the rollback the revocations call for, if any, and starts over from it: the open round's
    /// shard actors are stopped, and the job prepares the round it returned to.</summary>
    private void RollBackIfDue()
    {
        if (ReopenIfDue()) return;
        if (_state.RollbackDue(_timeline, DateTimeOffset.UtcNow) is not { } rollback)
        {
            ConcludePurges();
            return;
        }
        Persist(rollback, e =>
        {
            Applied(e);
            _log.Warning("Job {0}: rolled back to the start of round {1}: {2}", _state.JobId, e.FromRound, e.Reason);
            ConcludePurges();
            StopShards();
            Advance();
        });
    }
}

using Akka.Actor;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// What a JobActor shows: the <see cref="JobProjection"/> of its events and what its shard actors last reported (live
/// progress, shards being verified, shards waiting for a worker), none of it journaled. After a recovery from a
/// snapshot the projection is missing until the events before the snapshot are read back; requests that come
/// meanwhile wait for them.
/// </summary>
public sealed class JobViews
{
    /// <summary>The most log entries one <see cref="GetJobLog"/> answer carries.</summary>
    public const int MaxLogEntries = 500;

    private JobProjection? _projection = new();
    private bool _reading;
    private readonly List<IJobEvent> _persistedWhileReading = [];
    private readonly List<(IActorRef To, object Query)> _waitingForHistory = [];
    private readonly Dictionary<int, (int Step, float Loss)> _progress = [];
    private readonly HashSet<int> _verifying = [];
    private readonly Dictionary<int, string> _waitingForWorker = [];

    /// <summary>The job was restored from a snapshot: the events before it are not at hand.</summary>
    public void Restored() => _projection = null;

    /// <summary>Folds in a recovered or persisted event, and forgets live reports it makes stale.</summary>
    public void Apply(IJobEvent e)
    {
        _projection = _projection?.Apply(e);
        if (_projection is null && _reading) _persistedWhileReading.Add(e);
        switch (e)
        {
            case ShardAssigned a:
                _progress.Remove(a.Shard);
                _waitingForWorker.Remove(a.Shard);
                break;
            case ShardVerified { Outcome: not VerdictOutcome.Accepted } v:
                _progress.Remove(v.Shard);
                break;
            case ShardCompleted c:
                _progress.Remove(c.Shard);
                break;
        }
    }

    public void Progress(int shard, int step, float loss) => _progress[shard] = (step, loss);

    public void Lost(int shard) => _progress.Remove(shard);

    public void WaitingForWorker(int shard, string reason) => _waitingForWorker[shard] = reason;

    public void Verifying(int shard, bool active)
    {
        if (active) _verifying.Add(shard);
        else _verifying.Remove(shard);
    }

    /// <summary>The round's shard actors are gone: nothing they reported holds.</summary>
    public void ClearLive()
    {
        _progress.Clear();
        _verifying.Clear();
        _waitingForWorker.Clear();
    }

    /// <summary>
    /// Answers a status or log request, or keeps it until the history is read. True when the caller must start reading
    /// the history (the first request that finds the projection missing).
    /// </summary>
    public bool Ask(IActorRef to, object query, JobState state)
    {
        if (_projection is { } projection)
        {
            to.Tell(Answer(query, projection, state));
            return false;
        }
        _waitingForHistory.Add((to, query));
        if (_reading) return false;
        _reading = true;
        return true;
    }

    /// <summary>The events up to where the reading began arrived: the projection is whole again.</summary>
    public void HistoryRead(IReadOnlyList<IJobEvent> events, JobState state)
    {
        _reading = false;
        var projection = JobProjection.Of(events.Concat(_persistedWhileReading));
        _projection = projection;
        _persistedWhileReading.Clear();
        foreach (var (to, query) in _waitingForHistory) to.Tell(Answer(query, projection, state));
        _waitingForHistory.Clear();
    }

    /// <summary>The history could not be read: waiting requests are told so, and the next one tries again.</summary>
    public void HistoryUnreadable(string reason, JobState state)
    {
        _reading = false;
        _persistedWhileReading.Clear();
        var answer = new RequestFailed($"job {state.JobId}'s history could not be read from the journal ({reason}); " +
                                       "ask again in a moment", InvalidInput: false);
        foreach (var (to, _) in _waitingForHistory) to.Tell(answer);
        _waitingForHistory.Clear();
    }

    private object Answer(object query, JobProjection projection, JobState state) => query switch
    {
        GetJobLog get => new JobLog(state.JobId,
            projection.Log.Skip(Math.Max(0, get.From)).Take(MaxLogEntries).ToList(), state.Phase),
        _ => projection.View(_progress, _verifying, _waitingForWorker),
    };
}

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// Why each waiting shard waits, told once per change. The scheduler asks after every event, so the cost must not
/// grow with the queue: requests of one kind (<see cref="WorkRequest{TRef}.WaitKey"/>: pair, needs, exclusions) share
/// one reason (<see cref="SchedulerState{TRef}.WhyWaiting"/>), worked out once per kind and call; the whole queue is
/// walked only when a kind's reason changed, else only the requests queued since the last call are told.
/// </summary>
public sealed class WaitingReasons<TRef> where TRef : notnull
{
    private readonly Dictionary<TRef, string> _told = [];
    private readonly List<WorkRequest<TRef>> _fresh = [];

    /// <summary>One request of each kind seen in the queue, and the reason that kind was last told.</summary>
    private Dictionary<string, (WorkRequest<TRef> Sample, string Reason)> _kinds = [];

    /// <summary>A request entered the queue (or replaced its requester's earlier one).</summary>
    public void Queued(WorkRequest<TRef> request) => _fresh.Add(request);

    /// <summary>The requester got a worker or stopped waiting: if it waits again, it is told again.</summary>
    public void Forget(TRef requester) => _told.Remove(requester);

    /// <summary>
    /// The waiting requests whose reason differs from the last one they were told, with that reason (<paramref name="why"/>:
    /// the reason of a request; the state's own when none).
    /// </summary>
    public IReadOnlyList<(WorkRequest<TRef> Request, string Reason)> Notices(SchedulerState<TRef> state,
        Func<WorkRequest<TRef>, string>? why = null)
    {
        why ??= state.WhyWaiting;
        var changed = false;
        foreach (var (key, kind) in _kinds.ToList())
        {
            var reason = why(kind.Sample);
            if (reason == kind.Reason) continue;
            _kinds[key] = (kind.Sample, reason);
            changed = true;
        }
        var notices = new List<(WorkRequest<TRef>, string)>();
        if (changed)
        {
            // Kinds no longer queued are dropped; the reasons just worked out are kept.
            var kinds = new Dictionary<string, (WorkRequest<TRef> Sample, string Reason)>();
            foreach (var request in state.Queue) Tell(request, Reason(request, kinds, why), notices);
            _kinds = kinds;
        }
        else
        {
            // Nothing changed for the requests told before: only the new ones hear (each requester's latest, which is
            // the one queued while it waits).
            var latest = new Dictionary<TRef, WorkRequest<TRef>>();
            foreach (var request in _fresh) latest[request.Requester] = request;
            foreach (var request in latest.Values)
                if (state.IsWaiting(request.Requester)) Tell(request, Reason(request, _kinds, why), notices);
        }
        _fresh.Clear();
        return notices;
    }

    private string Reason(WorkRequest<TRef> request,
        Dictionary<string, (WorkRequest<TRef> Sample, string Reason)> kinds, Func<WorkRequest<TRef>, string> why)
    {
        if (kinds.TryGetValue(request.WaitKey, out var kind)) return kind.Reason;
        var reason = _kinds.TryGetValue(request.WaitKey, out var known) ? known.Reason : why(request);
        kinds[request.WaitKey] = (request, reason);
        return reason;
    }

    private void Tell(WorkRequest<TRef> request, string reason, List<(WorkRequest<TRef>, string)> notices)
    {
        if (_told.TryGetValue(request.Requester, out var told) && told == reason) return;
        _told[request.Requester] = reason;
        notices.Add((request, reason));
    }
}

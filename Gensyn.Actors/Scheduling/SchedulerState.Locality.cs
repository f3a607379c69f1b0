using Gensyn.Contracts;

namespace Gensyn.Actors.Scheduling;

// Delay scheduling: a shard waits a little for the worker that trained it last round while that worker is busy
// (LocalityWait), and which requests are waiting so.
public sealed partial class SchedulerState<TRef>
{
    /// <summary>
    /// How long a shard waits for its last round's worker while that worker is busy (and still registered and allowed),
    /// before an idle one takes it: delay scheduling. That worker holds the shard's last states (its start state then
    /// travels as the round's update, not whole) and its part of the dataset; a move costs a whole state and,
    /// the first time, the data. Zero: no wait.
    /// </summary>
    public TimeSpan LocalityWait { get; init; }

    /// <summary>The time <see cref="LocalityWait"/> is measured in.</summary>
    public Func<DateTime> Clock { get; init; } = () => DateTime.UtcNow;

    /// <summary>
    /// Whether <paramref name="request"/> still waits for its last round's worker, which is registered, busy and
    /// allowed (<see cref="LocalityWait"/>), instead of taking an idle one.
    /// </summary>
    public bool Held(WorkRequest<TRef> request) => Held(request, ById());

    /// <summary>The queue, in order, without the requests that wait for their last round's worker.</summary>
    public IReadOnlyList<WorkRequest<TRef>> Unheld()
    {
        var byId = ById();
        return byId is null ? _queue.ToList() : _queue.Where(r => !Held(r, byId)).ToList();
    }

    private bool Held(WorkRequest<TRef> request, IReadOnlyDictionary<WorkerId, WorkerEntry<TRef>>? byId) =>
        HeldUntil(request, byId) is { } until && Clock() < until;

    /// <summary>The registered workers by id, when a request may wait for one (<see cref="LocalityWait"/>).</summary>
    private Dictionary<WorkerId, WorkerEntry<TRef>>? ById() =>
        LocalityWait > TimeSpan.Zero ? _workers.ToDictionary(w => w.WorkerId) : null;

    /// <summary>When the earliest wait for a last round's worker ends (<see cref="Held"/>), or null when no request
    /// waits for one: the scheduler matches again then.</summary>
    public DateTime? LocalityDeadline()
    {
        var (now, byId) = (Clock(), ById());
        return byId is null ? null : _queue.Select(r => HeldUntil(r, byId)).Where(u => u > now).Min();
    }

    private DateTime? HeldUntil(WorkRequest<TRef> request, IReadOnlyDictionary<WorkerId, WorkerEntry<TRef>>? byId) =>
        byId is not null && !request.Replicated && request.Preferred is { } preferred
        && _queuedAt.TryGetValue(request.Requester, out var since)
        && byId.TryGetValue(preferred, out var worker) && worker.BusyWith is not null && request.Allows(worker)
            ? since + LocalityWait : null;
}

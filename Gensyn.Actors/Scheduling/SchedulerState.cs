using Gensyn.Actors.Workers;
using Gensyn.Contracts;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// The scheduler's rules, with no actors in them: which admitted workers are idle or busy, which shards wait, and which
/// idle worker a waiting shard gets: first come, first served, among the idle workers that meet the shard's needs
/// (device, memory, bandwidth, price cap, numeric class) and are not excluded, the lowest
/// <see cref="WorkerEntry{TRef}.Cost"/> (price per unit of throughput, over reliability), then the earliest registered;
/// but a shard whose last round's worker (<see cref="WorkRequest{TRef}.Preferred"/>) is idle and allowed gets it first,
/// and while that worker is busy the shard waits for it up to <see cref="LocalityWait"/> before another takes it.
/// A replica of a replicated shard is drawn at random instead (<see cref="ReplicaWeights"/>), never from a key that
/// already holds the shard's other seat. Reputation (verdicts, streak, reliability) is kept per key in
/// <see cref="Records"/>. Who may register at all is the registry's concern (<see cref="RegistryState{TRef}"/>).
/// </summary>
/// <param name="random">Where replica draws come from: a CSPRNG in the scheduler, a seeded generator in tests.</param>
/// <param name="recordCapacity">How many keys' records are kept (the oldest is forgotten past it).</param>
public sealed partial class SchedulerState<TRef>(Random? random = null, int recordCapacity = 100_000) where TRef : notnull
{
    private readonly List<WorkerEntry<TRef>> _workers = [];
    private readonly List<WorkRequest<TRef>> _queue = [];
    private long _registrations;
    private readonly Random _random = random ?? new CryptoRandom();
    private static readonly EqualityComparer<TRef> Same = EqualityComparer<TRef>.Default;

    // Indexes, so that a queue of many thousands of shards costs little per request: who waits, and who holds which
    // worker.
    private readonly HashSet<TRef> _queued = [];
    private readonly Dictionary<TRef, DateTime> _queuedAt = [];
    private readonly Dictionary<TRef, WorkerEntry<TRef>> _granted = [];

    public IReadOnlyList<WorkerEntry<TRef>> Workers => _workers;
    public IReadOnlyList<WorkRequest<TRef>> Queue => _queue;

    /// <summary>
    /// Each key's record, and the throughput observed for the workers whose claims were caught false.
    /// </summary>
    public ProviderRecords Records { get; } = new(recordCapacity);

    /// <summary>The record of the key <paramref name="address"/> (a new, empty one for a key never seen).</summary>
    public ProviderRecord RecordOf(string address) => Records.Of(ProviderRecords.KeyOf(address, ""));

    /// <summary>Whether <paramref name="requester"/> has a request in the queue.</summary>
    public bool IsWaiting(TRef requester) => _queued.Contains(requester);

    /// <summary>The registered worker with <paramref name="workerId"/>, or null.</summary>
    public WorkerEntry<TRef>? Find(WorkerId workerId) => _workers.Find(w => w.WorkerId == workerId);

    /// <summary>
    /// Adds a worker, or refreshes one that registers again (same id); returns the entry. Its record is its key's: a
    /// new id of a known key inherits that key's record, and the record of one key never passes to another.
    /// </summary>
    public WorkerEntry<TRef> Register(WorkerEntry<TRef> worker)
    {
        var existing = _workers.FindIndex(w => w.WorkerId == worker.WorkerId);
        if (existing >= 0 && Same.Equals(_workers[existing].Ref, worker.Ref)) return _workers[existing];
        worker.Record = Records.Of(worker.RecordKey);
        worker.ObservedThroughput = Records.ObservedFor(worker.WorkerId);
        if (existing < 0)
        {
            worker.Since = _registrations++;
            _workers.Add(worker);
            return worker;
        }
        var old = _workers[existing];
        // The same identity from a new process: its old work is gone.
        Ungrant(old);
        worker.Since = old.Since;
        _workers[existing] = worker;
        return worker;
    }

    /// <summary>Forgets a worker whose process is gone; returns the requester it was granted to, if any.</summary>
    public (WorkerEntry<TRef>? Worker, TRef? GrantedTo) Remove(TRef workerRef)
    {
        var worker = _workers.Find(w => Same.Equals(w.Ref, workerRef));
        if (worker is null) return (null, default);
        _workers.Remove(worker);
        Ungrant(worker);
        return (worker, worker.GrantedTo);
    }

    /// <summary>Forgets the grant index entry that points at <paramref name="worker"/> (and only that one).</summary>
    private void Ungrant(WorkerEntry<TRef> worker)
    {
        if (worker.GrantedTo is not { } holder) return;
        if (_granted.TryGetValue(holder, out var granted) && ReferenceEquals(granted, worker)) _granted.Remove(holder);
    }

    /// <summary>
    /// Queues a request; a requester that asks again (e.g. with a longer exclusion list) keeps its place with the new
    /// request.
    /// </summary>
    public void Enqueue(WorkRequest<TRef> request)
    {
        // A grant to this requester is on its way: it does not need a second worker.
        if (_granted.ContainsKey(request.Requester)) return;
        if (_queued.Add(request.Requester))
        {
            _queue.Add(request);
            _queuedAt[request.Requester] = Clock();
            return;
        }
        _queue[_queue.FindIndex(q => Same.Equals(q.Requester, request.Requester))] = request;
    }

    /// <summary>
    /// A requester is done with its worker (or no longer waits): its request leaves the queue and its
    /// worker becomes idle. <paramref name="completed"/> counts toward the worker's reliability.
    /// </summary>
    public WorkerEntry<TRef>? Release(TRef requester, bool completed)
    {
        if (_queued.Remove(requester))
        {
            _queue.RemoveAll(q => Same.Equals(q.Requester, requester));
            _queuedAt.Remove(requester);
        }
        if (!_granted.Remove(requester, out var worker)) return null;
        worker.BusyWith = null;
        worker.GrantedTo = default;
        if (completed) worker.Completed++;
        else worker.Released++;
        return worker;
    }

    /// <summary>
    /// A verifier judged one of a worker's results: it counts for the worker's key (<paramref name="address"/>, or the
    /// registered worker's); a rejection resets the key's honest streak (so its next results are challenged fully
    /// again).
    /// </summary>
    public void Judged(WorkerId workerId, bool accepted, string? address = null)
    {
        var record = !string.IsNullOrEmpty(address) ? RecordOf(address) : Find(workerId)?.Record;
        if (record is not null) ProviderRecords.Judged(record, accepted);
    }

    /// <summary>
    /// The coordinator observed registered worker <paramref name="workerId"/> on a shard: see
    /// <see cref="ProviderRecords.ThroughputObserved{TRef}"/>.
    /// </summary>
    public (double Observed, bool Caught)? ThroughputObserved(
        WorkerId workerId, int steps, double stepWork, double seconds, ThroughputCheck? check = null) =>
        Records.ThroughputObserved(Find(workerId), steps, stepWork, seconds, check ?? new ThroughputCheck());

    /// <summary>
    /// Pairs waiting shards with idle workers, oldest request first; a request that excludes every idle worker
    /// keeps its place and the next one is served. Replicas keep the job live (a worker holding one replica stays
    /// busy until the other replica has a worker of another key): a replica whose other replica holds a worker goes
    /// first, and a shard that holds none starts only while two idle workers of different keys can take its pair,
    /// whose other replica, when queued, is seated at once.
    /// </summary>
    public IReadOnlyList<(WorkRequest<TRef> Request, WorkerEntry<TRef> Worker)> Match()
    {
        var grants = new List<(WorkRequest<TRef>, WorkerEntry<TRef>)>();
        // The idle workers, best first, ranked once per call: each request takes the first one it may have.
        var idle = _workers.Where(w => w.BusyWith is null).OrderBy(w => w.Cost).ThenBy(w => w.Since).ToList();
        if (idle.Count == 0 || _queue.Count == 0) return grants;
        var served = new HashSet<TRef>(Same);
        // The shards whose last round's worker is idle take it back: it holds their last states (DiLoCo's workers
        // keep their shard), so the next start state travels as the round's update, not whole.
        var idleIds = idle.Select(w => w.WorkerId).ToHashSet();
        foreach (var request in _queue)
        {
            if (idle.Count == 0) break;
            if (request.Replicated || request.Preferred is not { } preferred || !idleIds.Contains(preferred)) continue;
            var index = idle.FindIndex(w => w.WorkerId == preferred);
            if (!request.Allows(idle[index])) continue;
            idleIds.Remove(preferred);
            Take(request, idle, index, grants, served);
        }
        var halfSeated = _queue.Where(r => r.Replicated && Seated(r.Label)).ToList();
        var byId = ById();
        foreach (var request in halfSeated.Concat(_queue.Except(halfSeated)))
        {
            if (idle.Count == 0) break;
            if (served.Contains(request.Requester) || Held(request, byId) || !Grant(request, idle, grants, served))
                continue;
            var other = request.Replicated
                ? _queue.Find(q => q.Replicated && q.Label == request.Label && !served.Contains(q.Requester))
                : null;
            if (other is not null && idle.Count > 0) Grant(other, idle, grants, served);
        }
        _queue.RemoveAll(q => served.Contains(q.Requester));
        return grants;
    }

    /// <summary>Grants <paramref name="request"/> the idle worker it may have, if any; whether it did.</summary>
    private bool Grant(WorkRequest<TRef> request, List<WorkerEntry<TRef>> idle,
        List<(WorkRequest<TRef>, WorkerEntry<TRef>)> grants, HashSet<TRef> served)
    {
        var index = !request.Replicated ? idle.FindIndex(request.Allows)
            : Seated(request.Label) || PairFits(idle, request) ? DrawReplica(idle, request)
            : -1;
        if (index < 0) return false;
        Take(request, idle, index, grants, served);
        return true;
    }

    /// <summary>Grants <paramref name="request"/> the idle worker at <paramref name="index"/>.</summary>
    private void Take(WorkRequest<TRef> request, List<WorkerEntry<TRef>> idle, int index,
        List<(WorkRequest<TRef>, WorkerEntry<TRef>)> grants, HashSet<TRef> served)
    {
        var worker = idle[index];
        idle.RemoveAt(index);
        worker.BusyWith = request.Label;
        worker.GrantedTo = request.Requester;
        _granted[request.Requester] = worker;
        _queued.Remove(request.Requester);
        _queuedAt.Remove(request.Requester);
        served.Add(request.Requester);
        grants.Add((request, worker));
    }

    /// <summary>The keys of the workers that hold a seat of the shard <paramref name="label"/>.</summary>
    public IReadOnlyCollection<string> SeatedAddresses(string label) =>
        _workers.Where(w => w.BusyWith == label && w.Address != "").Select(w => w.Address).ToList();

    /// <summary>Whether a worker holds a seat of the shard <paramref name="label"/>.</summary>
    private bool Seated(string label) => _workers.Any(w => w.BusyWith == label);

    /// <summary>Whether the idle workers a replica may have span two keys, so that both replicas can start.</summary>
    private static bool PairFits(IEnumerable<WorkerEntry<TRef>> idle, WorkRequest<TRef> request) =>
        idle.Where(request.Allows).Select(w => w.RecordKey).Distinct(StringComparer.Ordinal).Skip(1).Any();

    /// <summary>
    /// A replica's worker, drawn at random among the idle ones it may have, never of a key that holds the shard's other
    /// seat; the index into <paramref name="idle"/>, or -1.
    /// </summary>
    private int DrawReplica(List<WorkerEntry<TRef>> idle, WorkRequest<TRef> request)
    {
        var seated = _workers.Where(w => w.BusyWith == request.Label).Select(w => w.RecordKey)
            .ToHashSet(StringComparer.Ordinal);
        var eligible = Enumerable.Range(0, idle.Count)
            .Where(i => request.Allows(idle[i]) && !seated.Contains(idle[i].RecordKey)).ToList();
        if (eligible.Count == 0) return -1;
        var weights = ReplicaWeights(eligible.Select(i => idle[i].Cost).ToList());
        var total = weights.Sum();
        var point = _random.NextDouble() * total;
        for (var i = 0; i < eligible.Count; i++)
        {
            point -= weights[i];
            if (point < 0 && weights[i] > 0) return eligible[i];
        }
        return eligible[weights.FindLastIndex(w => w > 0) is var last and >= 0 ? last : 0];
    }

    /// <summary>
    /// How likely each candidate (by its <see cref="WorkerEntry{TRef}.Cost"/>) is to win a replica's seat: 1 at or
    /// below the candidates' median cost, and median / cost above it. Cheaper and more reliable workers are preferred
    /// over dearer ones, but asking less than the median buys nothing more, so underpricing cannot buy both seats of a
    /// shard.
    /// </summary>
    public static List<double> ReplicaWeights(IReadOnlyList<double> costs)
    {
        var sorted = costs.Order().ToList();
        var middle = sorted.Count / 2;
        var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        var weights = costs.Select(c => c <= median ? 1.0 : median / c).ToList();
        return weights.Sum() > 0 ? weights : costs.Select(_ => 1.0).ToList();
    }

    /// <summary>Why a queued request has no worker yet, in words a requester can act on.</summary>
    public string WhyWaiting(WorkRequest<TRef> request)
    {
        if (_workers.Count == 0) return "no worker is registered";
        var permitted = _workers.Where(request.Permits).ToList();
        if (permitted.Count == 0)
            return $"all {_workers.Count} registered worker(s) are excluded from this shard " +
                   "(rejected results, or the other replica's provider)";
        var meeting = permitted.Where(w => request.Unmet(w) is null).ToList();
        if (meeting.Count == 0)
        {
            var unmet = permitted.Select(request.Unmet).GroupBy(u => u).OrderByDescending(g => g.Count()).First().Key;
            return $"no registered worker meets the job's requirements (none of {permitted.Count} offers {unmet})";
        }
        var idle = meeting.Count(w => w.BusyWith is null);
        if (request.Replicated && idle > 0 && !Seated(request.Label))
            return $"its two replicas start together, on idle workers of two different providers; {idle} of " +
                   $"the {meeting.Count} worker(s) that meet the job's requirements is idle";
        if (idle > 0 && Held(request))
            return $"it waits up to {LocalityWait.TotalSeconds:0.#} s for the worker that trained it last round " +
                   $"(it holds the shard's last states); {idle} other worker(s) are idle";
        return $"all {meeting.Count} worker(s) that meet the job's requirements are busy";
    }
}

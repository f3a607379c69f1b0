namespace Gensyn.Actors.Workers;

/// <summary>A registered worker as the scheduler sees it.</summary>
public sealed record WorkerEntry<TRef>(
    string WorkerId,
    TRef Ref,
    string Device,
    double MemoryGb,
    int Threads,
    string NumericClass,
    double Price,
    string Address = "",
    double Throughput = 0,
    double BandwidthMbps = 0)
{
    /// <summary>The order in which it registered (ties go to the earlier one).</summary>
    public long Since { get; set; }

    /// <summary>
    /// What a shard costs on this worker, relatively: its price per unit of measured throughput (1 step/s when
    /// unmeasured), divided by its reliability. Lower is better.
    /// </summary>
    public double Cost => Price / (Throughput > 0 ? Throughput : 1) / Math.Max(Reliability, 1e-6);

    public string? BusyWith { get; set; }
    public TRef? GrantedTo { get; set; }
    public int Completed { get; set; }
    public int Released { get; set; }

    /// <summary>Verdicts on this worker's results: accepted, rejected, and accepted in a row since the last rejection.</summary>
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int HonestStreak { get; set; }

    /// <summary>When this process last registered (workers re-register every few seconds while alive).</summary>
    public DateTime LastSeen { get; set; } = DateTime.UtcNow;

    /// <summary>Completed shards over completed + abandoned ones; 1 for a newcomer.</summary>
    public double Reliability => Completed + Released == 0 ? 1.0 : (double)Completed / (Completed + Released);
}

/// <summary>A shard waiting for a worker; never one of <see cref="Exclude"/> (by id) or <see cref="ExcludeAddresses"/> (by provider key).</summary>
public sealed record WorkRequest<TRef>(string JobId, int Round, int Shard, TRef Requester, IReadOnlyCollection<string>? Exclude = null,
                                       IReadOnlyCollection<string>? ExcludeAddresses = null, Contracts.Messages.ShardNeeds? Needs = null)
{
    public bool Allows(WorkerEntry<TRef> worker) =>
        Exclude?.Contains(worker.WorkerId) != true &&
        ExcludeAddresses?.Any(a => string.Equals(a, worker.Address, StringComparison.OrdinalIgnoreCase)) != true &&
        Unmet(worker) is null;

    /// <summary>The first of the shard's requirements <paramref name="worker"/> misses, as a phrase, or null.</summary>
    public string? Unmet(WorkerEntry<TRef> worker)
    {
        if (Needs is not { } n) return null;
        if (n.Device is not ("any" or "") && !string.Equals(n.Device, worker.Device, StringComparison.OrdinalIgnoreCase)) return $"device {n.Device}";
        if (worker.MemoryGb < n.MinMemoryGb) return $"at least {n.MinMemoryGb:0.#} GB of memory";
        if (worker.BandwidthMbps < n.MinBandwidthMbps) return $"at least {n.MinBandwidthMbps:0.#} Mbps from the coordinators";
        if (worker.Price > n.MaxPricePerHour) return $"a price of at most {n.MaxPricePerHour:0.###} GENS per hour";
        if (n.NumericClass is { } c && c != worker.NumericClass) return $"numeric class {c}";
        return null;
    }

    public string Label => $"{JobId} round {Round} shard {Shard}";
}

/// <summary>
/// The scheduler's rules, with no actors in them: who is registered, who is busy, which shards wait,
/// and which idle worker a waiting shard gets: first come, first served, among the idle workers that meet the
/// shard's needs (device, memory, bandwidth, price cap, numeric class) and are not excluded, the lowest <see cref="WorkerEntry{TRef}.Cost"/>
/// (price per unit of throughput, over reliability), then the earliest registered.
/// </summary>
public sealed class SchedulerState<TRef> where TRef : notnull
{
    private readonly List<WorkerEntry<TRef>> _workers = [];
    private readonly List<WorkRequest<TRef>> _queue = [];
    private long _registrations;

    // Indexes, so that a queue of many thousands of shards costs little per request: who waits, and who holds which worker.
    private readonly HashSet<TRef> _queued = [];
    private readonly Dictionary<TRef, WorkerEntry<TRef>> _granted = [];

    public IReadOnlyList<WorkerEntry<TRef>> Workers => _workers;
    public IReadOnlyList<WorkRequest<TRef>> Queue => _queue;

    /// <summary>Adds a worker, or refreshes one that registers again (same id); returns the entry.</summary>
    public WorkerEntry<TRef> Register(WorkerEntry<TRef> worker)
    {
        var existing = _workers.FindIndex(w => w.WorkerId == worker.WorkerId);
        if (existing < 0)
        {
            worker.Since = _registrations++;
            _workers.Add(worker);
            return worker;
        }
        var old = _workers[existing];
        if (EqualityComparer<TRef>.Default.Equals(old.Ref, worker.Ref)) return old;
        // The same identity from a new process: its old work is gone.
        Ungrant(old);
        worker.Since = old.Since;
        worker.Completed = old.Completed;
        worker.Released = old.Released;
        (worker.Accepted, worker.Rejected, worker.HonestStreak) = (old.Accepted, old.Rejected, old.HonestStreak);
        _workers[existing] = worker;
        return worker;
    }

    /// <summary>Forgets a worker whose process is gone; returns the requester it was granted to, if any.</summary>
    public (WorkerEntry<TRef>? Worker, TRef? GrantedTo) Remove(TRef workerRef)
    {
        var worker = _workers.Find(w => EqualityComparer<TRef>.Default.Equals(w.Ref, workerRef));
        if (worker is null) return (null, default);
        _workers.Remove(worker);
        Ungrant(worker);
        return (worker, worker.GrantedTo);
    }

    /// <summary>Forgets the grant index entry that points at <paramref name="worker"/> (and only that one).</summary>
    private void Ungrant(WorkerEntry<TRef> worker)
    {
        if (worker.GrantedTo is { } holder && _granted.TryGetValue(holder, out var granted) && ReferenceEquals(granted, worker)) _granted.Remove(holder);
    }

    /// <summary>Queues a request; a requester that asks again (e.g. with a longer exclusion list) keeps its place with the new request.</summary>
    public void Enqueue(WorkRequest<TRef> request)
    {
        // A grant to this requester is on its way: it does not need a second worker.
        if (_granted.ContainsKey(request.Requester)) return;
        if (_queued.Add(request.Requester))
        {
            _queue.Add(request);
            return;
        }
        _queue[_queue.FindIndex(q => EqualityComparer<TRef>.Default.Equals(q.Requester, request.Requester))] = request;
    }

    /// <summary>
    /// A requester is done with its worker (or no longer waits): its request leaves the queue and its
    /// worker becomes idle. <paramref name="completed"/> counts toward the worker's reliability.
    /// </summary>
    public WorkerEntry<TRef>? Release(TRef requester, bool completed)
    {
        if (_queued.Remove(requester)) _queue.RemoveAll(q => EqualityComparer<TRef>.Default.Equals(q.Requester, requester));
        if (!_granted.Remove(requester, out var worker)) return null;
        worker.BusyWith = null;
        worker.GrantedTo = default;
        if (completed) worker.Completed++;
        else worker.Released++;
        return worker;
    }

    /// <summary>A verifier judged one of the worker's results: a rejection resets its honest streak (so it is challenged fully again).</summary>
    public void Judged(string workerId, bool accepted)
    {
        var worker = _workers.Find(w => w.WorkerId == workerId);
        if (worker is null) return;
        if (accepted)
        {
            worker.Accepted++;
            worker.HonestStreak++;
        }
        else
        {
            worker.Rejected++;
            worker.HonestStreak = 0;
        }
    }

    /// <summary>
    /// Pairs waiting shards with idle workers, oldest request first; a request that excludes every idle worker
    /// keeps its place and the next one is served.
    /// </summary>
    public IReadOnlyList<(WorkRequest<TRef> Request, WorkerEntry<TRef> Worker)> Match()
    {
        var grants = new List<(WorkRequest<TRef>, WorkerEntry<TRef>)>();
        // The idle workers, best first, ranked once per call: each request takes the first one it may have.
        var idle = _workers.Where(w => w.BusyWith is null).OrderBy(w => w.Cost).ThenBy(w => w.Since).ToList();
        if (idle.Count == 0 || _queue.Count == 0) return grants;
        var kept = new List<WorkRequest<TRef>>(_queue.Count);
        foreach (var request in _queue)
        {
            var index = idle.Count == 0 ? -1 : idle.FindIndex(request.Allows);
            if (index < 0)
            {
                kept.Add(request);
                continue;
            }
            var worker = idle[index];
            idle.RemoveAt(index);
            worker.BusyWith = request.Label;
            worker.GrantedTo = request.Requester;
            _granted[request.Requester] = worker;
            _queued.Remove(request.Requester);
            grants.Add((request, worker));
        }
        _queue.Clear();
        _queue.AddRange(kept);
        return grants;
    }

    /// <summary>Why a queued request has no worker yet, in words a requester can act on.</summary>
    public string WhyWaiting(WorkRequest<TRef> request)
    {
        if (_workers.Count == 0) return "no worker is registered";
        var permitted = _workers.Where(w => request.Exclude?.Contains(w.WorkerId) != true
            && request.ExcludeAddresses?.Any(a => string.Equals(a, w.Address, StringComparison.OrdinalIgnoreCase)) != true).ToList();
        if (permitted.Count == 0) return $"all {_workers.Count} registered worker(s) are excluded from this shard (rejected results, or the other replica's provider)";
        var meeting = permitted.Where(w => request.Unmet(w) is null).ToList();
        if (meeting.Count == 0)
        {
            var unmet = permitted.Select(request.Unmet).GroupBy(u => u).OrderByDescending(g => g.Count()).First().Key;
            return $"no registered worker meets the job's requirements (none of {permitted.Count} offers {unmet})";
        }
        return $"all {meeting.Count} worker(s) that meet the job's requirements are busy";
    }
}

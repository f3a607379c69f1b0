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
    string Address = "")
{
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
                                       IReadOnlyCollection<string>? ExcludeAddresses = null)
{
    public bool Allows(WorkerEntry<TRef> worker) =>
        Exclude?.Contains(worker.WorkerId) != true &&
        ExcludeAddresses?.Any(a => string.Equals(a, worker.Address, StringComparison.OrdinalIgnoreCase)) != true;

    public string Label => $"{JobId} round {Round} shard {Shard}";
}

/// <summary>
/// The scheduler's rules, with no actors in them: who is registered, who is busy, which shards wait,
/// and which idle worker a waiting shard gets (first come, first served; among idle workers the most
/// reliable, then the cheapest, then the earliest registered).
/// </summary>
public sealed class SchedulerState<TRef> where TRef : notnull
{
    private readonly List<WorkerEntry<TRef>> _workers = [];
    private readonly List<WorkRequest<TRef>> _queue = [];

    public IReadOnlyList<WorkerEntry<TRef>> Workers => _workers;
    public IReadOnlyList<WorkRequest<TRef>> Queue => _queue;

    /// <summary>Adds a worker, or refreshes one that registers again (same id); returns the entry.</summary>
    public WorkerEntry<TRef> Register(WorkerEntry<TRef> worker)
    {
        var existing = _workers.FindIndex(w => w.WorkerId == worker.WorkerId);
        if (existing < 0)
        {
            _workers.Add(worker);
            return worker;
        }
        var old = _workers[existing];
        if (EqualityComparer<TRef>.Default.Equals(old.Ref, worker.Ref)) return old;
        // The same identity from a new process: its old work is gone.
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
        return (worker, worker.GrantedTo);
    }

    /// <summary>Queues a request; a requester that asks again (e.g. with a longer exclusion list) keeps its place with the new request.</summary>
    public void Enqueue(WorkRequest<TRef> request)
    {
        var existing = _queue.FindIndex(q => EqualityComparer<TRef>.Default.Equals(q.Requester, request.Requester));
        if (existing >= 0) _queue[existing] = request;
        else _queue.Add(request);
    }

    /// <summary>
    /// A requester is done with its worker (or no longer waits): its request leaves the queue and its
    /// worker becomes idle. <paramref name="completed"/> counts toward the worker's reliability.
    /// </summary>
    public WorkerEntry<TRef>? Release(TRef requester, bool completed)
    {
        _queue.RemoveAll(q => EqualityComparer<TRef>.Default.Equals(q.Requester, requester));
        var worker = _workers.Find(w => w.GrantedTo is { } g && EqualityComparer<TRef>.Default.Equals(g, requester));
        if (worker is null) return null;
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
        for (var i = 0; i < _queue.Count;)
        {
            var request = _queue[i];
            var worker = _workers.Where(w => w.BusyWith is null && request.Allows(w))
                .OrderByDescending(w => w.Reliability).ThenBy(w => w.Price).FirstOrDefault();
            if (worker is null)
            {
                i++;
                continue;
            }
            _queue.RemoveAt(i);
            worker.BusyWith = request.Label;
            worker.GrantedTo = request.Requester;
            grants.Add((request, worker));
        }
        return grants;
    }
}

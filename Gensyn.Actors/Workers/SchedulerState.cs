namespace Gensyn.Actors.Workers;

/// <summary>
/// A provider's record with the scheduler, per staked key (not per worker id): every worker id of one key shares it, so a
/// new id starts from its key's record (a caught cheater keeps its bad record), and no record passes to another key.
/// </summary>
public sealed class ProviderRecord
{
    public int Completed { get; set; }
    public int Released { get; set; }

    /// <summary>Verdicts on this key's results: accepted, rejected, and accepted in a row since the last rejection.</summary>
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int HonestStreak { get; set; }

    /// <summary>Throughput claims found more than the allowed factor off what the coordinator observed (either way).</summary>
    public int FalseClaims { get; set; }
}

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

    /// <summary>What the coordinator observed this worker do (reference steps per second) once its claim was caught too high; null otherwise.</summary>
    public double? ObservedThroughput { get; set; }

    /// <summary>The throughput matching and pricing use: the observed figure once a claim was caught false, else the claim.</summary>
    public double EffectiveThroughput => ObservedThroughput ?? Throughput;

    /// <summary>
    /// What a shard costs on this worker, relatively: its price per unit of throughput (1 step/s when
    /// unmeasured), divided by its reliability. Lower is better.
    /// </summary>
    public double Cost => Price / (EffectiveThroughput > 0 ? EffectiveThroughput : 1) / Math.Max(Reliability, 1e-6);

    public string? BusyWith { get; set; }
    public TRef? GrantedTo { get; set; }

    /// <summary>The record of this worker's key, shared by all its ids (see <see cref="SchedulerState{TRef}.Register"/>).</summary>
    public ProviderRecord Record { get; set; } = new();

    public int Completed { get => Record.Completed; set => Record.Completed = value; }
    public int Released { get => Record.Released; set => Record.Released = value; }

    /// <summary>Verdicts on its key's results: accepted, rejected, and accepted in a row since the last rejection.</summary>
    public int Accepted { get => Record.Accepted; set => Record.Accepted = value; }
    public int Rejected { get => Record.Rejected; set => Record.Rejected = value; }
    public int HonestStreak { get => Record.HonestStreak; set => Record.HonestStreak = value; }

    /// <summary>When this process last registered (workers re-register every few seconds while alive).</summary>
    public DateTime LastSeen { get; set; } = DateTime.UtcNow;

    /// <summary>Completed shards over completed + abandoned ones, of its key; 1 for a newcomer.</summary>
    public double Reliability => Completed + Released == 0 ? 1.0 : (double)Completed / (Completed + Released);

    /// <summary>The key its record is kept under: its address, or (a worker without one, in tests) its id.</summary>
    public string RecordKey => RecordKeyOf(Address, WorkerId);

    internal static string RecordKeyOf(string? address, string workerId) =>
        string.IsNullOrEmpty(address) ? "id:" + workerId : address.ToLowerInvariant();
}

/// <summary>A shard waiting for a worker; never one of <see cref="Exclude"/> (by id) or <see cref="ExcludeAddresses"/> (by provider key).</summary>
/// <summary><see cref="Replicated"/>: one of two replicas of a shard, whose worker is drawn at random (see <see cref="SchedulerState{TRef}.Match"/>).</summary>
public sealed record WorkRequest<TRef>(string JobId, int Round, int Shard, TRef Requester, IReadOnlyCollection<string>? Exclude = null,
                                       IReadOnlyCollection<string>? ExcludeAddresses = null, Contracts.Messages.ShardNeeds? Needs = null,
                                       bool Replicated = false)
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
/// (price per unit of throughput, over reliability), then the earliest registered. A replica of a replicated shard is
/// drawn at random instead (<see cref="ReplicaWeight"/>), never from a key that already holds the shard's other seat.
/// Reputation (verdicts, streak, reliability) is kept per key (<see cref="ProviderRecord"/>).
/// </summary>
/// <param name="random">Where replica draws come from: a CSPRNG in the registry, a seeded generator in tests.</param>
/// <param name="recordCapacity">How many keys' records are kept (the oldest is forgotten past it).</param>
public sealed class SchedulerState<TRef>(Random? random = null, int recordCapacity = 100_000) where TRef : notnull
{
    private readonly List<WorkerEntry<TRef>> _workers = [];
    private readonly List<WorkRequest<TRef>> _queue = [];
    private long _registrations;
    private readonly Random _random = random ?? new CryptoRandom();

    // Per key: its record; per worker id: the throughput the coordinator observed once its claim was caught too high.
    private readonly Dictionary<string, ProviderRecord> _records = new(StringComparer.Ordinal);
    private readonly Queue<string> _recordOrder = new();
    private readonly Dictionary<string, double> _observed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    // Indexes, so that a queue of many thousands of shards costs little per request: who waits, and who holds which worker.
    private readonly HashSet<TRef> _queued = [];
    private readonly Dictionary<TRef, WorkerEntry<TRef>> _granted = [];

    public IReadOnlyList<WorkerEntry<TRef>> Workers => _workers;
    public IReadOnlyList<WorkRequest<TRef>> Queue => _queue;

    /// <summary>The record of the key <paramref name="address"/> (a new, empty one for a key never seen).</summary>
    public ProviderRecord RecordOf(string address) => Record(WorkerEntry<TRef>.RecordKeyOf(address, ""));

    private ProviderRecord Record(string key)
    {
        if (_records.TryGetValue(key, out var record)) return record;
        _records[key] = record = new ProviderRecord();
        _recordOrder.Enqueue(key);
        while (_records.Count > recordCapacity && _recordOrder.TryDequeue(out var oldest)) _records.Remove(oldest);
        return record;
    }

    /// <summary>
    /// Adds a worker, or refreshes one that registers again (same id); returns the entry. Its record is its key's: a new id
    /// of a known key inherits that key's record, and the record of one key never passes to another.
    /// </summary>
    public WorkerEntry<TRef> Register(WorkerEntry<TRef> worker)
    {
        var existing = _workers.FindIndex(w => w.WorkerId == worker.WorkerId);
        if (existing >= 0 && EqualityComparer<TRef>.Default.Equals(_workers[existing].Ref, worker.Ref)) return _workers[existing];
        worker.Record = Record(worker.RecordKey);
        if (_observed.TryGetValue(worker.WorkerId, out var observed)) worker.ObservedThroughput = observed;
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

    /// <summary>
    /// A verifier judged one of a worker's results: it counts for the worker's key (<paramref name="address"/>, or the
    /// registered worker's); a rejection resets the key's honest streak (so its next results are challenged fully again).
    /// </summary>
    public void Judged(string workerId, bool accepted, string? address = null)
    {
        var record = !string.IsNullOrEmpty(address) ? RecordOf(address) : _workers.Find(w => w.WorkerId == workerId)?.Record;
        if (record is null) return;
        if (accepted)
        {
            record.Accepted++;
            record.HonestStreak++;
        }
        else
        {
            record.Rejected++;
            record.HonestStreak = 0;
        }
    }

    /// <summary>
    /// The coordinator observed worker <paramref name="workerId"/> do <paramref name="steps"/> steps of <paramref name="stepWork"/>
    /// reference steps each in <paramref name="seconds"/> on a shard. The first such observation that <paramref name="check"/> deems
    /// long and heavy enough judges the worker's claimed throughput: a claim more than its tolerance times the observed figure is
    /// inflated (it buys matches), one less than the observed figure over the tolerance deflated (it buys compute-hours, so
    /// payouts); either way its key's honest streak resets (full challenges again), and the worker is matched and priced at
    /// the observed figure from now on. Returns the observed reference steps per second and whether the claim was caught;
    /// null when the observation judged nothing.
    /// </summary>
    public (double Observed, bool Caught)? ThroughputObserved(string workerId, int steps, double stepWork, double seconds, ThroughputCheck? check = null)
    {
        check ??= new ThroughputCheck();
        var observed = steps * stepWork / seconds;
        if (!double.IsFinite(observed) || observed <= 0 || seconds < check.MinSeconds || stepWork < check.MinStepWork) return null;
        var worker = _workers.Find(w => w.WorkerId == workerId);
        if (worker is null || !_checked.Add(workerId)) return null;
        if (_checked.Count > recordCapacity) _checked.Clear();
        var claim = worker.Throughput;
        var deflated = claim > 0 && claim * check.Tolerance < observed;   // 0: not measured, priced at the network's reference
        if (claim <= observed * check.Tolerance && !deflated) return (observed, false);
        worker.ObservedThroughput = observed;
        _observed[workerId] = observed;
        if (_observed.Count > recordCapacity) _observed.Remove(_observed.Keys.First());
        worker.Record.FalseClaims++;
        worker.Record.HonestStreak = 0;
        return (observed, true);
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
            var index = idle.Count == 0 ? -1 : request.Replicated ? DrawReplica(idle, request) : idle.FindIndex(request.Allows);
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

    /// <summary>
    /// A replica's worker, drawn at random among the idle ones it may have, never of a key that holds the shard's other seat;
    /// the index into <paramref name="idle"/>, or -1.
    /// </summary>
    private int DrawReplica(List<WorkerEntry<TRef>> idle, WorkRequest<TRef> request)
    {
        var seated = _workers.Where(w => w.BusyWith == request.Label).Select(w => w.RecordKey).ToHashSet(StringComparer.Ordinal);
        var eligible = Enumerable.Range(0, idle.Count).Where(i => request.Allows(idle[i]) && !seated.Contains(idle[i].RecordKey)).ToList();
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
    /// How likely each candidate (by its <see cref="WorkerEntry{TRef}.Cost"/>) is to win a replica's seat: 1 at or below the
    /// candidates' median cost, and median / cost above it. Cheaper and more reliable workers are preferred over dearer ones,
    /// but asking less than the median buys nothing more, so underpricing cannot buy both seats of a shard.
    /// </summary>
    public static List<double> ReplicaWeights(IReadOnlyList<double> costs)
    {
        var sorted = costs.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        var weights = costs.Select(c => c <= median ? 1.0 : median / c).ToList();
        return weights.Sum() > 0 ? weights : costs.Select(_ => 1.0).ToList();
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

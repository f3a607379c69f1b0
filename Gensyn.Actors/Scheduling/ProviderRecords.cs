using Gensyn.Actors.Workers;
using Gensyn.Contracts;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// A provider's record with the scheduler, per staked key (not per worker id): every worker id of one key shares it,
/// so a new id starts from its key's record (a caught cheater keeps its bad record), and no record passes to another
/// key.
/// </summary>
public sealed class ProviderRecord
{
    public int Completed { get; set; }
    public int Released { get; set; }

    /// <summary>
    /// Verdicts on this key's results: accepted, rejected, and accepted in a row since the last rejection.
    /// </summary>
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int HonestStreak { get; set; }

    /// <summary>
    /// Throughput claims found more than the allowed factor off what the coordinator observed (either way).
    /// </summary>
    public int FalseClaims { get; set; }
}

/// <summary>
/// Reputation, with no actors in it: each key's <see cref="ProviderRecord"/>, the verdicts on its results, and the
/// throughput the coordinator observed for the worker ids whose claims were caught false. Bounded: past
/// <paramref name="capacity"/> keys the oldest record is forgotten.
/// </summary>
public sealed class ProviderRecords(int capacity = 100_000)
{
    private readonly Dictionary<string, ProviderRecord> _records = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Dictionary<WorkerId, double> _observed = [];
    private readonly HashSet<WorkerId> _checked = [];

    /// <summary>
    /// The key a record is kept under: the address, or (a worker without one, in tests) the worker id.
    /// </summary>
    public static string KeyOf(string? address, string workerId) =>
        string.IsNullOrEmpty(address) ? "id:" + workerId : address.ToLowerInvariant();

    /// <summary>
    /// The record kept under <paramref name="key"/> (see <see cref="KeyOf"/>); a new, empty one for a key never seen.
    /// </summary>
    public ProviderRecord Of(string key)
    {
        if (_records.TryGetValue(key, out var record)) return record;
        _records[key] = record = new ProviderRecord();
        _order.Enqueue(key);
        while (_records.Count > capacity && _order.TryDequeue(out var oldest)) _records.Remove(oldest);
        return record;
    }

    /// <summary>The figure observed for <paramref name="workerId"/> once its claim was caught false, or null.</summary>
    public double? ObservedFor(WorkerId workerId) => _observed.TryGetValue(workerId, out var observed) ? observed : null;

    /// <summary>
    /// A verifier judged one result: a rejection resets the key's honest streak (full challenges again).
    /// </summary>
    public static void Judged(ProviderRecord record, bool accepted)
    {
        if (accepted)
        {
            record.Accepted++;
            record.HonestStreak++;
            return;
        }
        record.Rejected++;
        record.HonestStreak = 0;
    }

    /// <summary>
    /// The coordinator observed <paramref name="worker"/> do <paramref name="steps"/> steps of
    /// <paramref name="stepWork"/> reference steps each in <paramref name="seconds"/> on a shard. The first such
    /// observation that <paramref name="check"/> deems long and heavy enough judges the worker's claimed throughput: a
    /// claim more than its tolerance times the observed figure is inflated (it buys matches), one less than the
    /// observed figure over the tolerance deflated (it buys compute-hours, so payouts); either way its key's honest
    /// streak resets (full challenges again), and the worker is matched and priced at the observed figure from now on.
    /// Returns the observed reference steps per second and whether the claim was caught; null when the observation
    /// judged nothing.
    /// </summary>
    public (double Observed, bool Caught)? ThroughputObserved<TRef>(
        WorkerEntry<TRef>? worker, int steps, double stepWork, double seconds, ThroughputCheck check)
    {
        var observed = steps * stepWork / seconds;
        if (!double.IsFinite(observed) || observed <= 0 || seconds < check.MinSeconds || stepWork < check.MinStepWork)
            return null;
        if (worker is null || !_checked.Add(worker.WorkerId)) return null;
        if (_checked.Count > capacity) _checked.Clear();
        var claim = worker.Throughput;
        // A claim of 0 (not measured: priced at the network's reference) is never deflated.
        var deflated = claim > 0 && claim * check.Tolerance < observed;
        if (claim <= observed * check.Tolerance && !deflated) return (observed, false);
        worker.ObservedThroughput = observed;
        _observed[worker.WorkerId] = observed;
        if (_observed.Count > capacity) _observed.Remove(_observed.Keys.First());
        worker.Record.FalseClaims++;
        worker.Record.HonestStreak = 0;
        return (observed, true);
    }
}

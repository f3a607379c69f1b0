using System.Diagnostics;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// What the simulated providers saw, shared by all of them: registrations, assignments per edge, and each assignment's
/// latency (from the provider's previous result to this assignment: the coordinator's whole turnaround for a free
/// provider while shards wait, challenge and verdict included).
/// </summary>
public sealed class ScaleCounters(int doors, int innerSteps)
{
    private readonly Lock _lock = new();
    private readonly List<double> _latencyMs = [];
    private readonly long[] _perDoor = new long[doors];
    private readonly Dictionary<string, int> _refusals = [];
    private readonly Dictionary<string, long> _perJob = [];
    private readonly Dictionary<string, int> _lostWhy = [];
    private int _registered;
    private long _finished;
    private long _abandoned;
    private long _lost;
    private long? _firstAssigned;
    private long? _lastFinished;

    /// <summary>The inner steps of the jobs run: the losses each result carries.</summary>
    public int InnerSteps => innerSteps;

    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public int RegisteredCount => Volatile.Read(ref _registered);

    public long FinishedCount => Interlocked.Read(ref _finished);

    public long AbandonedCount => Interlocked.Read(ref _abandoned);

    public long LostCount => Interlocked.Read(ref _lost);

    public void Registered() => Interlocked.Increment(ref _registered);

    public void Refused(string reason)
    {
        lock (_lock) _refusals[reason] = _refusals.GetValueOrDefault(reason) + 1;
    }

    public void Lost(string reason)
    {
        Interlocked.Increment(ref _lost);
        // Grouped by what the reason says, without the endpoint it names.
        var why = System.Text.RegularExpressions.Regex.Replace(reason, @"127\.0\.0\.1:\d+", "EDGE");
        lock (_lock) _lostWhy[why] = _lostWhy.GetValueOrDefault(why) + 1;
    }

    /// <summary>Why sessions ended, most frequent first.</summary>
    public string LostReasons()
    {
        lock (_lock)
            return string.Join("; ",
                _lostWhy.OrderByDescending(r => r.Value).Take(3).Select(r => $"{r.Value}× {r.Key}"));
    }

    public void Abandoned() => Interlocked.Increment(ref _abandoned);

    public void Assigned(int door, string job, long? sinceFree)
    {
        lock (_lock)
        {
            _perDoor[door]++;
            _perJob[job] = _perJob.GetValueOrDefault(job) + 1;
            _firstAssigned ??= Now;
            if (sinceFree is { } ticks) _latencyMs.Add(Ms(ticks));
        }
    }

    public void Finished()
    {
        Interlocked.Increment(ref _finished);
        lock (_lock) _lastFinished = Now;
    }

    /// <summary>The assignments the shards of job <paramref name="job"/> made.</summary>
    public long AssignedFor(string job)
    {
        lock (_lock) return _perJob.GetValueOrDefault(job);
    }

    public long[] PerDoor()
    {
        lock (_lock) return [.. _perDoor];
    }

    /// <summary>Seconds from the first assignment to the last result.</summary>
    public double BusySeconds()
    {
        lock (_lock) return _firstAssigned is { } a && _lastFinished is { } b ? Ms(b - a) / 1000 : 0;
    }

    /// <summary>The latency at quantile <paramref name="q"/> (0..1), in milliseconds; NaN before any.</summary>
    public double LatencyMs(double q)
    {
        lock (_lock)
        {
            if (_latencyMs.Count == 0) return double.NaN;
            var sorted = _latencyMs.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * sorted.Length))];
        }
    }

    public string Refusals()
    {
        lock (_lock) return string.Join("; ", _refusals.Select(r => $"{r.Value}× {r.Key}"));
    }
}

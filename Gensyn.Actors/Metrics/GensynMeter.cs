using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Metrics;

/// <summary>
/// The coordinator's instruments, all in the meter <see cref="Name"/> (System.Diagnostics.Metrics: whatever listens
/// exports them; the edge serves them at <c>/metrics</c>, docs/operations/metrics.md lists them). The actors make
/// one call each: counters and histograms are recorded as things happen, and the gauges read what the actors last
/// published. Every label takes its values from <see cref="MetricLabels"/>. A process counts what its own actors do:
/// Prometheus sums the coordinators.
/// </summary>
public static class GensynMeter
{
    public const string Name = "Gensyn";

    private static readonly Meter Meter = new(Name);

    private static readonly ActorPublications<JobPhase> Jobs = new();
    private static readonly ActorPublications<SchedulerFigures> Schedulers = new();
    private static readonly ActorPublications<SettlementFigures> Settlements = new();

    private static readonly Counter<long> Verdicts = Meter.CreateCounter<long>("gensyn.verdicts",
        description: "Verdicts journaled on shard results, by outcome.");

    private static readonly Counter<long> JobsFinished = Meter.CreateCounter<long>("gensyn.jobs.finished",
        description: "Jobs that reached an end state, by that state.");

    private static readonly Counter<long> RoundsCompleted = Meter.CreateCounter<long>("gensyn.rounds.completed",
        description: "Training rounds aggregated.");

    private static readonly Histogram<double> ShardWork = Meter.CreateHistogram("gensyn.shard.duration", "s",
        "Seconds a judged shard result took to train (as its worker reported) and to verify.", null,
        new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
        });

    private static readonly Histogram<double> JournalWrite = Meter.CreateHistogram("gensyn.journal.write.duration", "s",
        "Seconds from a job's events being handed to the journal until they are written and applied.", null,
        new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        });

    static GensynMeter()
    {
        Meter.CreateObservableGauge("gensyn.jobs", JobsByState,
            description: "Jobs hosted by this coordinator, by state.");
        Meter.CreateObservableGauge("gensyn.shards", ShardsByState,
            description: "Shard attempts holding a worker (running) or queued for one (waiting).");
        Meter.CreateObservableGauge("gensyn.workers", WorkersByClassAndState,
            description: "Registered workers by hardware class and state.");
        Meter.CreateObservableGauge("gensyn.settlement.orders.pending", () => Settlements.Live().Sum(s => s.Pending),
            description: "Settlement orders journaled but not yet settled on chain.");
        Meter.CreateObservableGauge("gensyn.settlement.orders.oldest.age", OldestSettlementAge, "s",
            "Seconds the oldest pending settlement order has waited (0 when none is pending).");
    }

    // ---- Jobs

    /// <summary>A job actor applied a freshly journaled event (not a replayed one): <paramref name="phase"/> is its
    /// state after it.</summary>
    public static void JobApplied(IActorRef job, JobPhase phase, IJobEvent e)
    {
        Jobs.Publish(job, phase);
        switch (e)
        {
            case ShardVerified v:
                Verdicts.Add(1, Tag("outcome", MetricLabels.Outcome(v.Outcome)));
                Seconds(v.TrainSeconds, "training");
                Seconds(v.VerifySeconds, "verification");
                break;
            case RoundCompleted:
                RoundsCompleted.Add(1);
                break;
            case JobCompleted or JobFailed or JobCancelled:
                JobsFinished.Add(1, Tag("state", MetricLabels.JobState(phase)));
                break;
        }
    }

    /// <summary>A job actor finished its recovery in <paramref name="phase"/>.</summary>
    public static void JobRecovered(IActorRef job, JobPhase phase) => Jobs.Publish(job, phase);

    /// <summary>
    /// <paramref name="handler"/>, timing the journal write it waits for: the first call records the seconds since
    /// this was called (a batch of events is written at once, then handed over one by one).
    /// </summary>
    public static Action<T> TimedJournalWrite<T>(Action<T> handler)
    {
        var started = Stopwatch.GetTimestamp();
        var recorded = false;
        return e =>
        {
            if (!recorded)
            {
                recorded = true;
                JournalWrite.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            handler(e);
        };
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private static void Seconds(double seconds, string work)
    {
        // A worker's own figure may be anything: only a real duration is recorded.
        if (double.IsFinite(seconds) && seconds >= 0)
            ShardWork.Record(seconds, Tag("work", work));
    }

    private static IEnumerable<Measurement<long>> JobsByState()
    {
        var phases = Jobs.Live();
        return MetricLabels.JobStates.Select(state =>
            new Measurement<long>(phases.Count(p => MetricLabels.JobState(p) == state), Tag("state", state)));
    }

    // ---- Scheduling

    private sealed record SchedulerFigures(IReadOnlyDictionary<(string Class, string State), int> Workers,
        int Running, int Waiting);

    /// <summary>The scheduler matched or queued: its workers and shards as they are now.</summary>
    public static void Scheduled(IActorRef scheduler, SchedulerState<IActorRef> state)
    {
        // One pass without allocations per worker: this runs on every dispatch.
        var workers = new Dictionary<(string Class, string State), int>();
        var running = 0;
        foreach (var worker in state.Workers)
        {
            var busy = worker.BusyWith is not null;
            if (busy) running++;
            var key = (MetricLabels.WorkerClass(worker.Device), busy ? "busy" : "idle");
            workers[key] = workers.GetValueOrDefault(key) + 1;
        }
        Schedulers.Publish(scheduler, new SchedulerFigures(workers, running, state.Queue.Count));
    }

    private static IEnumerable<Measurement<long>> ShardsByState()
    {
        var figures = Schedulers.Live();
        yield return new Measurement<long>(figures.Sum(f => f.Running), Tag("state", "running"));
        yield return new Measurement<long>(figures.Sum(f => f.Waiting), Tag("state", "waiting"));
    }

    private static IEnumerable<Measurement<long>> WorkersByClassAndState()
    {
        var figures = Schedulers.Live();
        foreach (var workerClass in MetricLabels.WorkerClasses)
        foreach (var state in MetricLabels.WorkerStates)
            yield return new Measurement<long>(figures.Sum(f => f.Workers.GetValueOrDefault((workerClass, state))),
                Tag("class", workerClass), Tag("state", state));
    }

    // ---- Settlement

    /// <summary><see cref="FirstSeen"/>: when a pending order whose journaled time is not known (it was restored
    /// from a snapshot) was first published.</summary>
    private sealed record SettlementFigures(int Pending, DateTimeOffset? OldestSince,
        IReadOnlyDictionary<string, DateTimeOffset> FirstSeen);

    /// <summary>The settlement actor's outbox as it is now.</summary>
    public static void Outbox(IActorRef settlement, SettlementOutbox outbox)
    {
        var pending = outbox.Unfinished.ToList();
        var now = DateTimeOffset.UtcNow;
        var before = Settlements.Last(settlement)?.FirstSeen;
        var firstSeen = pending.Where(e => e.Since is null).Select(e => e.Order.SettlementId)
            .ToDictionary(id => id, id => before?.GetValueOrDefault(id, now) ?? now);
        var since = pending.Select(e => e.Since ?? firstSeen[e.Order.SettlementId]).ToList();
        Settlements.Publish(settlement,
            new SettlementFigures(pending.Count, since.Count == 0 ? null : since.Min(), firstSeen));
    }

    private static double OldestSettlementAge()
    {
        var oldest = Settlements.Live().Select(s => s.OldestSince).OfType<DateTimeOffset>().ToList();
        return oldest.Count == 0 ? 0 : Math.Max(0, (DateTimeOffset.UtcNow - oldest.Min()).TotalSeconds);
    }
}

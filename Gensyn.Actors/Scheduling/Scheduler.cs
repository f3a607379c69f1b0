using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Market;
using Gensyn.Actors.Metrics;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// A coordinator's scheduler: matches the shards of the jobs this node hosts to the workers whose sessions are on this
/// node's edge (<see cref="SchedulerState{TRef}"/>), and prices jobs on the market it sees (<see cref="JobPricing"/>,
/// <see cref="ClearingPrice"/>). The <see cref="WorkerRegistry"/> singleton admits workers and tells the scheduler of
/// their node (<see cref="WorkerAdmitted"/>). In a cluster each coordinator runs one (<see cref="Name"/>), and the
/// schedulers tell each other what they hold and hand over what they cannot serve (Scheduler.Peers.cs,
/// <see cref="SchedulerPeers{TRef}"/>); alone (a child of a registry, as in tests) it serves everything itself. Workers
/// and requesters are watched, so a vanished worker frees its shard and a vanished shard frees its worker.
/// </summary>
public sealed partial class Scheduler : ReceiveActor, IWithTimers
{
    public const string ChildName = "scheduler";

    /// <summary>A coordinator's own scheduler: /user/scheduler on every coordinator.</summary>
    public const string Name = "scheduler";

    /// <summary>
    /// HOCON: the reference steps per second a job is priced at when no registered worker measured its own.
    /// </summary>
    public const string ReferenceThroughputSetting = "gensyn.market.reference-steps-per-second";

    /// <summary>
    /// How long a stopped requester's worker stays granted: its last ReleaseWorker comes through the singleton proxy
    /// and may arrive after the death notice, so a completed shard counts as completed.
    /// </summary>
    private static readonly TimeSpan RequesterGrace = TimeSpan.FromSeconds(2);

    /// <summary>HOCON: how long a shard waits for its last round's worker while it is busy
    /// (<see cref="SchedulerState{TRef}.LocalityWait"/>).</summary>
    public const string LocalityWaitSetting = "gensyn.locality-wait";

    private readonly SchedulerState<IActorRef> _state;

    /// <summary>Why each waiting shard waits, as it was last told.</summary>
    private readonly WaitingReasons<IActorRef> _waiting = new();

    private readonly ILoggingAdapter _log = Context.GetLogger();
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record RequesterGone(IActorRef Requester) : INoSerializationVerificationNeeded;

    /// <summary>A shard's wait for its last round's worker ended: match again.</summary>
    private sealed record LocalityExpired : INoSerializationVerificationNeeded;

    private readonly bool _clustered;

    /// <summary>Where dropped workers are reported: the registry (its parent, when it is the registry's child).</summary>
    private readonly IActorRef _registry;

    /// <param name="throughput">When a claimed throughput is judged against a shard (gensyn.workers).</param>
    /// <param name="registry">The registry's proxy, for a coordinator's scheduler; none: its parent is the registry.</param>
    /// <param name="clustered">Whether it finds the other coordinators' schedulers among the cluster's members.</param>
    public static Props Props(ThroughputCheck throughput, IActorRef? registry = null, bool clustered = false) =>
        Akka.Actor.Props.Create(() => new Scheduler(throughput, registry, clustered));

    public Scheduler(ThroughputCheck throughput, IActorRef? registry = null, bool clustered = false)
    {
        _registry = registry ?? Context.Parent;
        _clustered = clustered;
        var config = Context.System.Settings.Config;
        _state = new SchedulerState<IActorRef>
        {
            LocalityWait = config.GetTimeSpan(LocalityWaitSetting, TimeSpan.FromSeconds(1)),
        };
        Receive<LocalityExpired>(_ => Dispatch());
        var referenceStepsPerSecond = Math.Max(1, config.GetDouble(ReferenceThroughputSetting, 640));
        Receive<WorkerAdmitted>(admitted => Admit(admitted.Profile));
        Receive<WorkerDismissed>(dismissed => Drop(dismissed.Worker, why: null));
        Receive<RequestWorker>(request =>
        {
            if (!ForwardedToPeer(request.Requester, request)) Request(request);
        });
        Receive<ReleaseWorker>(release =>
        {
            if (!ForwardedToPeer(release.Requester, release)) Release(release);
        });
        Receive<WorkerJudged>(judged =>
        {
            Judged(judged);
            Relay(new SchedulerRelay(Judged: judged));
        });
        Receive<WorkerThroughputObserved>(observed =>
        {
            Observed(observed, throughput);
            Relay(new SchedulerRelay(Observed: observed));
        });
        Receive<SchedulerRelay>(relay =>
        {
            if (relay.Judged is { } judged) Judged(judged);
            if (relay.Observed is { } observed) Observed(observed, throughput);
        });
        Receive<GetMarket>(_ => Sender.Tell(Peers.Any(Now)
            ? new MarketView(ClearingPrice.Classes(Peers.Market(_state, Now)), [])
            : new MarketView(ClearingPrice.Classes(_state), [])));
        Receive<PriceJob>(price => Sender.Tell(Peers.Any(Now)
            ? JobPricing.Lock(Peers.Market(_state, Now), price.Needs, price.Demand, referenceStepsPerSecond)
            : JobPricing.Lock(_state, price.Needs, price.Demand, referenceStepsPerSecond)));
        Receive<ListWorkers>(_ =>
            Sender.Tell(new WorkerList(_state.Workers.Select(View).Concat(Peers.Workers(Now)).ToList())));
        ReceivePeers(clustered);
        Receive<Terminated>(t =>
        {
            if (_state.Workers.Any(w => w.Ref.Equals(t.ActorRef))) Drop(t.ActorRef, "is gone");
            // A requester (ShardActor) stopped: handle it a little later (see RequesterGrace).
            else Timers.StartSingleTimer(t.ActorRef, new RequesterGone(t.ActorRef), RequesterGrace);
        });
        Receive<RequesterGone>(gone =>
        {
            _state.Release(gone.Requester, completed: false);
            _waiting.Forget(gone.Requester);
            _handed.Remove(gone.Requester);
            Dispatch();
        });
    }

    private void Admit(RegisterWorker p)
    {
        var holder = _state.Find(p.WorkerId);
        // A live worker registers again every few seconds: that changes nothing here, nor for the peers.
        if (holder is not null && holder.Ref.Equals(p.Worker)) return;
        if (holder is not null)
        {
            // The same identity from a new process (the registry let it take over): its old work is lost.
            Context.Unwatch(holder.Ref);
            if (holder.GrantedTo is { } requester) requester.Tell(new WorkerLost(holder.WorkerId));
        }
        var known = _state.Workers.Any(w => w.Ref.Equals(p.Worker));
        _state.Register(new WorkerEntry<IActorRef>(p.WorkerId, p.Worker, p.Device, p.MemoryGb, p.Threads,
            p.NumericClass, p.PricePerHour, p.Address, p.Throughput, p.BandwidthMbps));
        if (!known) Context.Watch(p.Worker);
        Dispatch();
    }

    private void Request(RequestWorker request)
    {
        Context.Watch(request.Requester);
        var queued = new WorkRequest<IActorRef>(request.JobId, request.Round, request.Shard, request.Requester,
            request.Exclude?.ToHashSet(), request.ExcludeAddresses?.ToList(), request.Needs, request.Replicated,
            request.Preferred);
        _state.Enqueue(queued);
        _waiting.Queued(queued);
        if (_state.Workers.Count == 0)
            _log.Info("{0} round {1} shard {2} waits: no worker is registered",
                request.JobId, request.Round, request.Shard);
        Dispatch();
    }

    private void Release(ReleaseWorker release)
    {
        var worker = _state.Release(release.Requester, release.Completed);
        _waiting.Forget(release.Requester);
        if (worker is not null && release.WorkerGone)
        {
            // Its process is dead: never grant it again; a live one registers again within seconds.
            Context.Unwatch(worker.Ref);
            _state.Remove(worker.Ref);
            _registry.Tell(new WorkerDropped(worker.Ref));
            _log.Info("Worker {0} is gone; it leaves the registry until it registers again", worker.WorkerId);
        }
        else if (worker is not null) _log.Debug("Worker {0} is idle", worker.WorkerId);
        Dispatch();
    }

    /// <summary>
    /// Forgets a worker (its process is gone, or the registry turned it away) and tells the shard it held; a death is
    /// logged (<paramref name="why"/>) and passed on to the registry.
    /// </summary>
    private void Drop(IActorRef workerRef, string? why)
    {
        Context.Unwatch(workerRef);
        var (worker, grantedTo) = _state.Remove(workerRef);
        if (worker is null) return;
        if (why is not null)
        {
            _log.Warning("Worker {0} at {1} {2}{3}", worker.WorkerId, workerRef.Path.Address, why,
                worker.BusyWith is null ? "" : $"; it was running {worker.BusyWith}");
            _registry.Tell(new WorkerDropped(workerRef));
        }
        grantedTo?.Tell(new WorkerLost(worker.WorkerId));
        Dispatch();
    }

    private void Observed(WorkerThroughputObserved observed, ThroughputCheck check)
    {
        var claimed = _state.Find(observed.WorkerId)?.Throughput;
        var (steps, work, seconds) = (observed.Steps, observed.StepWork, observed.Seconds);
        switch (_state.ThroughputObserved(observed.WorkerId, steps, work, seconds, check))
        {
            case { Caught: true } caught:
                _log.Warning("Worker {0} claimed {1:0.#} reference steps/s but did {2:0.#} on its first shard " +
                             "(off by more than the tolerance): its key's honest streak is reset, and it is matched " +
                             "and priced at the observed figure", observed.WorkerId, claimed, caught.Observed);
                break;
            case { } fair:
                _log.Info("Worker {0} did {1:0.#} reference steps/s on its first shard (it claimed {2:0.#})",
                    observed.WorkerId, fair.Observed, claimed);
                break;
        }
    }

    private void Judged(WorkerJudged judged) => _state.Judged(judged.WorkerId, judged.Accepted, judged.Address);

    private static WorkerView View(WorkerEntry<IActorRef> w) => new(w.WorkerId, w.Device, w.MemoryGb, w.Threads,
        w.NumericClass, w.Price, w.BusyWith is null ? "idle" : "busy", w.Reliability, w.BusyWith, w.Completed,
        w.Address, w.Accepted, w.Rejected, w.HonestStreak, w.EffectiveThroughput, w.BandwidthMbps);

    private void Dispatch()
    {
        foreach (var (request, worker) in _state.Match())
        {
            _log.Info("Granted worker {0} to {1}", worker.WorkerId, request.Label);
            _waiting.Forget(request.Requester);
            request.Requester.Tell(new WorkerGranted(worker.WorkerId, worker.Ref, worker.Threads, worker.NumericClass,
                worker.Address, worker.HonestStreak, worker.Accepted));
        }
        HandOver();
        // Each waiting shard hears why it waits, whenever the reason changes.
        foreach (var (request, reason) in _waiting.Notices(_state, NetworkReasons()))
            request.Requester.Tell(new WorkerWaiting(request.JobId, request.Round, request.Shard, reason));
        GensynMeter.Scheduled(Self, _state);
        _changed = true;
        if (_state.LocalityDeadline() is { } deadline)
            Timers.StartSingleTimer(nameof(LocalityExpired), new LocalityExpired(),
                TimeSpan.FromTicks(Math.Max((deadline - DateTime.UtcNow).Ticks, TimeSpan.TicksPerMillisecond)));
    }
}

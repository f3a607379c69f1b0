using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Scheduling;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The worker registry: a cluster singleton. Workers register (and re-register every few seconds, so a new singleton
/// learns them again after a hand-over); the registry admits them (<see cref="RegistryState{TRef}"/>) once their stake
/// passes (<see cref="StakeGate{TRegistration}"/>) and hands them to a <see cref="Scheduler"/>, which matches them to
/// shards: in a cluster, the scheduler of the coordinator whose edge holds the worker's session (see
/// <see cref="Props"/>); alone, its own child. A convicted key (the conviction board tells it:
/// <see cref="ConvictedKeys"/>) is admitted no more, and its workers are dismissed, so that it gets no shard of any job.
/// The scheduler's business sent here (requests, releases, the market) goes to the scheduler of the registry's node.
/// </summary>
public sealed class WorkerRegistry : ReceiveActor, IWithTimers
{
    public const string SingletonName = "worker-registry";

    /// <summary>The singleton's proxy on every coordinator: worker sessions (Gensyn.Edge) register there.</summary>
    public const string ServicePath = "/user/workers";

    /// <summary>
    /// A registered process not heard from for this long may be replaced by a new process with its id and key.
    /// </summary>
    private static readonly TimeSpan SilentAfter = TimeSpan.FromSeconds(8);

    private readonly RegistryState<IActorRef> _state;
    private readonly StakeGate<RegisterWorker> _stakes = new();
    private readonly Func<string, Task<string?>>? _stakeProblem;
    /// <summary>The scheduler a worker's messages go to (by its session's ref), and the one of this node.</summary>
    private readonly Func<IActorRef, ICanTell> _schedulerOf;

    private readonly ICanTell _scheduler;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>What "now" is for admissions, silences and stake reads (the system clock unless a test moves one).</summary>
    private readonly TimeProvider _clock;

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Registrations held, by process, until the conviction board has said which keys are convicted (so that a
    /// convicted key is not admitted in the moments after the registry starts); null once it has, or without a board.
    /// </summary>
    private Dictionary<IActorRef, RegisterWorker>? _heldForConvictions;

    /// <summary>The board is asked again this often until it answers; after <see cref="ConvictionsWait"/> the
    /// registry admits without its answer (and still dismisses a convicted key's workers when it comes).</summary>
    private static readonly TimeSpan ConvictionsRetry = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ConvictionsWait = TimeSpan.FromSeconds(20);

    private sealed record AskConvictions(DateTime Since) : INoSerializationVerificationNeeded;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// <paramref name="stakeProblem"/> (null on a network that does not settle) says why an address may not register
    /// yet (its stake is below the minimum), or null when it may. <paramref name="network"/> is the EIP-712 domain
    /// profiles are signed for (null while the chain is not known yet; no chain when omitted).
    /// <paramref name="convictions"/> is the conviction board, asked for every conviction when the registry starts
    /// (none: only what it is told). <paramref name="clock"/>: the system clock unless given.
    /// <paramref name="schedulers"/>: the scheduler of a worker's node, by its session's ref, and of the registry's own
    /// node (a coordinator's, <see cref="SchedulerRouting"/>); none: the registry's own child schedules every worker.
    /// </summary>
    public static Props Props(Func<string, Task<string?>>? stakeProblem = null, Func<ClaimDomain?>? network = null,
                              IActorRef? convictions = null, TimeProvider? clock = null,
                              Func<IActorRef, ICanTell>? schedulers = null) =>
        Akka.Actor.Props.Create(() => new WorkerRegistry(stakeProblem, network, convictions, clock, schedulers));

    /// <summary>
    /// The chain's answer about a provider's stake; <see cref="ReadFailed"/>: no answer, not a shortfall.
    /// </summary>
    private sealed record StakeChecked(string Address, string? Problem, bool ReadFailed = false)
        : INoSerializationVerificationNeeded;

    public WorkerRegistry(Func<string, Task<string?>>? stakeProblem, Func<ClaimDomain?>? network = null,
                          IActorRef? convictions = null, TimeProvider? clock = null,
                          Func<IActorRef, ICanTell>? schedulers = null)
    {
        _clock = clock ?? TimeProvider.System;
        var config = Context.System.Settings.Config;
        var rules = new RegistrationRules(RegistrationLimits.From(config));
        var profiles = SignedProfiles.FromConfig(config, network ?? (() => ClaimDomain.None));
        _state = new RegistryState<IActorRef>(rules, profiles, SilentAfter, r => r.Path.Address.ToString());
        _stakeProblem = stakeProblem;
        if (schedulers is null)
        {
            var child = Context.ActorOf(Scheduler.Props(rules.Limits.Throughput), Scheduler.ChildName);
            _schedulerOf = _ => child;
        }
        else _schedulerOf = schedulers;
        _scheduler = _schedulerOf(Self);
        Receive<RegisterWorker>(Register);
        Receive<StakeChecked>(Checked);
        Receive<WorkerDropped>(dropped => _state.Remove(dropped.Worker));
        Receive<ConvictedKeys>(Convicted);
        // The scheduler's business: requesters (shards), verifiers, the market and the CLI.
        Receive<RequestWorker>(m => _scheduler.Tell(m, Sender));
        Receive<ReleaseWorker>(m => _scheduler.Tell(m, Sender));
        Receive<WorkerJudged>(m => _scheduler.Tell(m, Sender));
        Receive<WorkerThroughputObserved>(m => _scheduler.Tell(m, Sender));
        Receive<GetMarket>(m => _scheduler.Tell(m, Sender));
        Receive<PriceJob>(m => _scheduler.Tell(m, Sender));
        Receive<ListWorkers>(m => _scheduler.Tell(m, Sender));
        if (convictions is null) return;
        _heldForConvictions = [];
        Receive<AskConvictions>(ask =>
        {
            if (_heldForConvictions is null) return;
            if (Now - ask.Since < ConvictionsWait)
            {
                convictions.Tell(new GetConvictedKeys());
                Timers.StartSingleTimer("convictions", ask, ConvictionsRetry);
                return;
            }
            _log.Warning("The conviction board has not answered in {0} s: admitting workers without its answer; a " +
                         "convicted key's workers are dismissed when it comes", ConvictionsWait.TotalSeconds);
            AdmitHeld();
        });
        Self.Tell(new AskConvictions(Now));
    }

    /// <summary>The registrations held for the board's answer go through now.</summary>
    private void AdmitHeld()
    {
        var held = _heldForConvictions?.Values.ToList() ?? [];
        _heldForConvictions = null;
        Timers.Cancel("convictions");
        foreach (var register in held) Register(register);
    }

    private void Register(RegisterWorker register)
    {
        var from = register.Worker.Path.Address;
        if (_state.InvalidProfile(register) is { } invalid)
        {
            Refuse(register, invalid, RefusalKind.Invalid);
            return;
        }
        if (_state.SignatureProblem(register, _clock.GetUtcNow().ToUnixTimeMilliseconds()) is { } problem)
        {
            Refuse(register, problem);
            return;
        }
        if (_heldForConvictions is not null)
        {
            // Answered once the board says which keys are convicted; the worker registers again meanwhile.
            _heldForConvictions[register.Worker] = register;
            return;
        }
        if (_state.ConvictionProblem(register.Address) is { } convicted)
        {
            Refuse(register, convicted, RefusalKind.Convicted);
            return;
        }
        if (!StakePasses(register)) return;
        var admission = _state.Admit(register.WorkerId, register.Address, register.Worker, Now);
        if (admission.Refusal is { } refusal)
        {
            Refuse(register, refusal);
            return;
        }
        if (admission.Replaced is { } old)
            _log.Info("Worker {0} moved from {1} to {2}", register.WorkerId, old.Ref.Path.Address, from);
        _schedulerOf(register.Worker).Tell(new WorkerAdmitted(register), Self);
        if (!admission.Known)
            _log.Info("Worker {0} registered from {1} ({2}, {3} thread(s), {4})", register.WorkerId, from,
                register.Device, register.Threads, register.NumericClass);
        register.Worker.Tell(new WorkerRegistered(register.WorkerId));
    }

    /// <summary>Convicted keys get no more work: their workers are dismissed (a shard one of them runs hears it is
    /// lost, and runs again elsewhere) and told why.</summary>
    private void Convicted(ConvictedKeys convicted)
    {
        foreach (var conviction in convicted.Convictions)
        foreach (var session in _state.Convict(conviction))
        {
            var why = _state.ConvictionProblem(session.Address)!;
            _log.Warning("Dismissed worker {0} from {1}: {2}", session.WorkerId, session.Ref.Path.Address, why);
            _schedulerOf(session.Ref).Tell(new WorkerDismissed(session.Ref), Self);
            session.Ref.Tell(new WorkerRefused(session.WorkerId, why, RefusalKind.Convicted));
        }
        if (convicted.Complete && _heldForConvictions is not null) AdmitHeld();
    }

    /// <summary>Turns <paramref name="register"/> away; a final <paramref name="kind"/> stops the worker.</summary>
    private void Refuse(RegisterWorker register, string reason, RefusalKind kind = RefusalKind.Temporary)
    {
        _log.Warning("Refused worker {0} from {1}: {2}", register.WorkerId, register.Worker.Path.Address, reason);
        register.Worker.Tell(new WorkerRefused(register.WorkerId, reason, kind));
    }

    /// <summary>
    /// Whether the provider's stake was seen to meet the minimum; otherwise refuses (or waits for the chain).
    /// </summary>
    private bool StakePasses(RegisterWorker register)
    {
        if (_stakeProblem is null) return true;
        var (verdict, problem, readNow) = _stakes.Check(register.Address, register, Now);
        if (readNow)
        {
            var address = register.Address;
            _stakeProblem(address).ContinueWith(t => t.IsCompletedSuccessfully
                ? new StakeChecked(address, t.Result)
                : new StakeChecked(address, t.Exception?.GetBaseException().Message ?? "the check was cancelled", true))
                .PipeTo(Self);
        }
        if (verdict != StakeVerdict.Refused) return verdict == StakeVerdict.Passes;
        Refuse(register, problem!);
        // A registered worker whose stake fell below the minimum (slashed, unbonded) gets no more work.
        if (_state.Remove(register.Worker) is not null)
            _schedulerOf(register.Worker).Tell(new WorkerDismissed(register.Worker), Self);
        return false;
    }

    private void Checked(StakeChecked c)
    {
        if (c.ReadFailed)
        {
            _log.Warning("Could not read the stake of {0}: {1}", c.Address, c.Problem);
            _stakes.ReadFailed(c.Address, Now);
            return;
        }
        // The registration that asked for the check goes through now rather than at the worker's next one.
        if (_stakes.Answered(c.Address, c.Problem, Now) is { } waiting) Register(waiting);
    }
}

using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The worker registry and scheduler: a cluster singleton. Workers register (and re-register every few
/// seconds, so a new singleton learns them again after a hand-over); shards ask for a worker and are
/// granted one when one is idle. Workers and requesters are watched, so a vanished worker frees its
/// shard and a vanished shard frees its worker.
/// </summary>
public sealed class WorkerRegistry : ReceiveActor, IWithTimers
{
    public const string SingletonName = "worker-registry";

    /// <summary>The scheduler singleton's proxy on every coordinator: worker sessions (Gensyn.Edge) register there.</summary>
    public const string ServicePath = "/user/workers";

    /// <summary>A registered process not heard from for this long may be replaced by a new process with its id and key.</summary>
    private static readonly TimeSpan SilentAfter = TimeSpan.FromSeconds(8);

    private readonly SchedulerState<IActorRef> _state = new();

    /// <summary>Which key owns each worker id (the first that registered it).</summary>
    private readonly WorkerIdOwners _owners = new();

    /// <summary>What a worker may claim about itself, and how many ids and registrations a key may have (gensyn.workers).</summary>
    private readonly RegistrationRules _rules;

    /// <summary>HOCON: the reference steps per second a job is priced at when no registered worker measured its own.</summary>
    public const string ReferenceThroughputSetting = "gensyn.market.reference-steps-per-second";

    public ITimerScheduler Timers { get; set; } = null!;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>
    /// <paramref name="stakeProblem"/> (null on a network that does not settle) says why an address may not register yet
    /// (its stake is below the minimum), or null when it may.
    /// </summary>
    /// <paramref name="network"/> is the EIP-712 domain profiles are signed for (null while the chain is not known yet; no chain when omitted).
    public static Props Props(Func<string, Task<string?>>? stakeProblem = null, Func<Contracts.Signing.ClaimDomain?>? network = null) =>
        Akka.Actor.Props.Create(() => new WorkerRegistry(stakeProblem, network));

    /// <summary>The chain's answer about a provider's stake; <see cref="ReadFailed"/>: no answer (the chain is unreachable), not a shortfall.</summary>
    private sealed record StakeChecked(string Address, string? Problem, bool ReadFailed = false) : INoSerializationVerificationNeeded;

    /// <summary>A provider's stake, as last read from the chain: good ones are read again after a minute, short ones within seconds.</summary>
    private readonly Dictionary<string, (string? Problem, DateTime At)> _stakes = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _checking = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, RegisterWorker> _waiting = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<string, Task<string?>>? _stakeProblem;

    private readonly SignedProfiles _profiles;

    public WorkerRegistry(Func<string, Task<string?>>? stakeProblem, Func<Contracts.Signing.ClaimDomain?>? network = null)
    {
        _stakeProblem = stakeProblem;
        _profiles = SignedProfiles.FromConfig(Context.System.Settings.Config, network ?? (() => Contracts.Signing.ClaimDomain.None));
        _rules = new RegistrationRules(RegistrationLimits.From(Context.System.Settings.Config));
        Receive<RegisterWorker>(Register);
        Receive<StakeChecked>(c =>
        {
            _checking.Remove(c.Address);
            if (c.ReadFailed)
            {
                // Keep what was last known (a registered worker stays registered); ask again soon.
                _log.Warning("Could not read the stake of {0}: {1}", c.Address, c.Problem);
                if (_stakes.TryGetValue(c.Address, out var last)) _stakes[c.Address] = (last.Problem, DateTime.UtcNow - TimeSpan.FromSeconds(50));
                _waiting.Remove(c.Address);
                return;
            }
            _stakes[c.Address] = (c.Problem, DateTime.UtcNow);
            // The registration that asked for the check goes through now rather than at the worker's next one.
            if (_waiting.Remove(c.Address, out var register)) Register(register);
        });
        Receive<RequestWorker>(request =>
        {
            Context.Watch(request.Requester);
            _state.Enqueue(new WorkRequest<IActorRef>(request.JobId, request.Round, request.Shard, request.Requester,
                request.Exclude?.ToHashSet(), request.ExcludeAddresses?.ToList(), request.Needs, request.Replicated));
            if (_state.Workers.Count == 0)
                _log.Info("{0} round {1} shard {2} waits: no worker is registered", request.JobId, request.Round, request.Shard);
            Dispatch();
        });
        Receive<ReleaseWorker>(release =>
        {
            var worker = _state.Release(release.Requester, release.Completed);
            _told.Remove(release.Requester);
            if (worker is not null && release.WorkerGone)
            {
                // Its process is dead: never grant it again; a live one registers again within seconds.
                Context.Unwatch(worker.Ref);
                _state.Remove(worker.Ref);
                _log.Info("Worker {0} is gone; it leaves the registry until it registers again", worker.WorkerId);
            }
            else if (worker is not null) _log.Debug("Worker {0} is idle", worker.WorkerId);
            Dispatch();
        });
        Receive<WorkerJudged>(judged => _state.Judged(judged.WorkerId, judged.Accepted, judged.Address));
        Receive<WorkerThroughputObserved>(observed =>
        {
            var claimed = _state.Workers.FirstOrDefault(w => w.WorkerId == observed.WorkerId)?.Throughput;
            switch (_state.ThroughputObserved(observed.WorkerId, observed.Steps, observed.StepWork, observed.Seconds, _rules.Limits.Throughput))
            {
                case { Caught: true } caught:
                    _log.Warning("Worker {0} claimed {1:0.#} reference steps/s but did {2:0.#} on its first shard (off by more than the tolerance): its key's honest streak is reset, " +
                                 "and it is matched and priced at the observed figure", observed.WorkerId, claimed, caught.Observed);
                    break;
                case { } fair:
                    _log.Info("Worker {0} did {1:0.#} reference steps/s on its first shard (it claimed {2:0.#})", observed.WorkerId, fair.Observed, claimed);
                    break;
            }
        });
        Receive<GetMarket>(_ => Sender.Tell(new MarketView(Market.ClearingPrice.Classes(_state), [])));
        var referenceStepsPerSecond = Math.Max(1, Context.System.Settings.Config.GetDouble(ReferenceThroughputSetting, 640));
        Receive<PriceJob>(price => Sender.Tell(Market.JobPricing.Lock(_state, price.Needs, price.Demand, referenceStepsPerSecond)));
        Receive<ListWorkers>(_ => Sender.Tell(new WorkerList(_state.Workers.Select(w => new WorkerView(
            w.WorkerId, w.Device, w.MemoryGb, w.Threads, w.NumericClass, w.Price,
            w.BusyWith is null ? "idle" : "busy", w.Reliability, w.BusyWith, w.Completed, w.Address, w.Accepted, w.Rejected, w.HonestStreak, w.EffectiveThroughput, w.BandwidthMbps)).ToList())));
        Receive<Terminated>(t =>
        {
            var (worker, grantedTo) = _state.Remove(t.ActorRef);
            if (worker is not null)
            {
                _log.Warning("Worker {0} at {1} is gone{2}", worker.WorkerId, t.ActorRef.Path.Address,
                    worker.BusyWith is null ? "" : $"; it was running {worker.BusyWith}");
                grantedTo?.Tell(new WorkerLost(worker.WorkerId));
            }
            else
            {
                // A requester (ShardActor) stopped. Its last ReleaseWorker, which comes through the singleton proxy,
                // may arrive after this notice: handle the death a little later, so a completed shard counts as completed.
                Timers.StartSingleTimer(t.ActorRef, new RequesterGone(t.ActorRef), RequesterGrace);
                return;
            }
            Dispatch();
        });
        Receive<RequesterGone>(gone =>
        {
            _state.Release(gone.Requester, completed: false);
            _told.Remove(gone.Requester);
            Dispatch();
        });
    }

    private sealed record RequesterGone(IActorRef Requester) : INoSerializationVerificationNeeded;

    private static readonly TimeSpan RequesterGrace = TimeSpan.FromSeconds(2);

    private void Register(RegisterWorker register)
    {
        if (_rules.ProfileProblem(register) is { } invalid)
        {
            _log.Warning("Refused a registration from {0}: {1}", register.Worker.Path.Address, invalid);
            register.Worker.Tell(new WorkerRefused(register.WorkerId, invalid));
            return;
        }
        if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(register.Address))
        {
            _log.Warning("Refused worker {0} from {1}: '{2}' is not an Ethereum address", register.WorkerId, register.Worker.Path.Address, register.Address);
            register.Worker.Tell(new WorkerRefused(register.WorkerId, $"'{register.Address}' is not an Ethereum address; a worker signs its results with its key"));
            return;
        }
        if (!SignedProfile(register)) return;
        if (!StakeAllows(register)) return;
        var known = _state.Workers.Any(w => w.WorkerId == register.WorkerId && w.Ref.Equals(register.Worker));
        // A live worker's periodic re-registration is not counted; a new id or a new process is.
        var limited = known ? null : _rules.CountRegistration(register.Address, DateTime.UtcNow)
            ?? (_owners.OwnerOf(register.WorkerId) is null ? _rules.NewIdProblem(register.Address, _owners.IdsOf(register.Address)) : null);
        if (limited is not null)
        {
            _log.Warning("Refused worker {0} from {1}: {2}", register.WorkerId, register.Worker.Path.Address, limited);
            register.Worker.Tell(new WorkerRefused(register.WorkerId, limited));
            return;
        }
        if (_owners.Claim(register.WorkerId, register.Address) is { } owner)
        {
            // An id belongs to the first key that registered it: another key may not take it over, even once its owner is gone.
            _log.Warning("Refused worker {0} from {1}: that id belongs to key {2}, not {3}", register.WorkerId, register.Worker.Path.Address, owner, register.Address);
            register.Worker.Tell(new WorkerRefused(register.WorkerId, $"worker id {register.WorkerId} belongs to another key ({owner}); choose another --worker-id"));
            return;
        }
        if (_state.Workers.FirstOrDefault(w => w.WorkerId == register.WorkerId && !w.Ref.Equals(register.Worker)) is { } holder)
        {
            // One identity, one live process: while the old process still re-registers, the newcomer (with the same key: see _owners) waits;
            // once it has been silent for a while (dead, or restarted under a new address) the newcomer takes over.
            if (DateTime.UtcNow - holder.LastSeen < SilentAfter)
            {
                _log.Warning("Refused worker {0} from {1}: that id is registered from {2}, which is still alive", register.WorkerId,
                    register.Worker.Path.Address, holder.Ref.Path.Address);
                register.Worker.Tell(new WorkerRefused(register.WorkerId, $"worker id {register.WorkerId} is in use by a live process at {holder.Ref.Path.Address}; retrying"));
                return;
            }
            _log.Info("Worker {0} moved from {1} to {2}", register.WorkerId, holder.Ref.Path.Address, register.Worker.Path.Address);
            Context.Unwatch(holder.Ref);
            holder.GrantedTo?.Tell(new WorkerLost(holder.WorkerId));
        }
        _state.Register(new WorkerEntry<IActorRef>(register.WorkerId, register.Worker, register.Device, register.MemoryGb,
            register.Threads, register.NumericClass, register.PricePerHour, register.Address, register.Throughput, register.BandwidthMbps)).LastSeen = DateTime.UtcNow;
        if (!known)
        {
            Context.Watch(register.Worker);
            _log.Info("Worker {0} registered from {1} ({2}, {3} thread(s), {4})", register.WorkerId, register.Worker.Path.Address,
                register.Device, register.Threads, register.NumericClass);
        }
        register.Worker.Tell(new WorkerRegistered(register.WorkerId));
        Dispatch();
    }

    /// <summary>Whether the capability profile is signed, for this network and recently, by the key it names (<see cref="SignedProfiles"/>).</summary>
    private bool SignedProfile(RegisterWorker register)
    {
        if (_profiles.Problem(register, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) is not { } problem) return true;
        _log.Warning("Refused worker {0} from {1}: {2}", register.WorkerId, register.Worker.Path.Address, problem);
        register.Worker.Tell(new WorkerRefused(register.WorkerId, problem));
        return false;
    }

    /// <summary>Whether the provider's stake was seen to meet the minimum; otherwise refuses (or waits for the chain's answer).</summary>
    private bool StakeAllows(RegisterWorker register)
    {
        if (_stakeProblem is null) return true;
        var known = _stakes.TryGetValue(register.Address, out var stake);
        var stale = !known || DateTime.UtcNow - stake.At > (stake.Problem is null ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(2));
        if (stale && _checking.Add(register.Address))
        {
            var address = register.Address;
            _stakeProblem(address).ContinueWith(t => t.IsCompletedSuccessfully
                ? new StakeChecked(address, t.Result)
                : new StakeChecked(address, t.Exception?.GetBaseException().Message ?? "the check was cancelled", ReadFailed: true)).PipeTo(Self);
        }
        if (!known)
        {
            _waiting[register.Address] = register;  // handled when the chain answers
            return false;
        }
        if (stake.Problem is null) return true;
        _log.Warning("Refused worker {0}: {1}", register.WorkerId, stake.Problem);
        register.Worker.Tell(new WorkerRefused(register.WorkerId, stake.Problem));
        // A registered worker whose stake fell below the minimum (slashed, unbonded) gets no more work.
        if (_state.Workers.FirstOrDefault(w => w.Ref.Equals(register.Worker)) is { } entry)
        {
            Context.Unwatch(entry.Ref);
            var (_, grantedTo) = _state.Remove(entry.Ref);
            grantedTo?.Tell(new WorkerLost(entry.WorkerId));
        }
        return false;
    }

    private void Dispatch()
    {
        foreach (var (request, worker) in _state.Match())
        {
            _log.Info("Granted worker {0} to {1}", worker.WorkerId, request.Label);
            _told.Remove(request.Requester);
            request.Requester.Tell(new WorkerGranted(worker.WorkerId, worker.Ref, worker.Threads, worker.NumericClass, worker.Address, worker.HonestStreak));
        }
        // Each waiting shard hears why it waits, whenever the reason changes (shards with the same needs share one answer).
        var reasons = new Dictionary<string, string>();
        foreach (var request in _state.Queue)
        {
            var key = $"{request.Needs}|{string.Join(',', request.Exclude ?? [])}|{string.Join(',', request.ExcludeAddresses ?? [])}";
            if (!reasons.TryGetValue(key, out var reason)) reasons[key] = reason = _state.WhyWaiting(request);
            if (_told.TryGetValue(request.Requester, out var told) && told == reason) continue;
            _told[request.Requester] = reason;
            request.Requester.Tell(new WorkerWaiting(request.JobId, request.Round, request.Shard, reason));
        }
    }

    /// <summary>The last waiting reason each waiting shard was told.</summary>
    private readonly Dictionary<IActorRef, string> _told = [];
}

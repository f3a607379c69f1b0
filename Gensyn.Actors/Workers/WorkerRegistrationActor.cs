using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A worker's registration: it learns the network's chain and stakes on it (<see cref="ProviderStake"/>), measures
/// its reference throughput and its bandwidth from the coordinators, then signs its capability profile and sends it
/// to the coordinators every few seconds (signed again every minute so that it never goes stale at the registry).
/// It tells its parent the network the worker's claims are signed for (<see cref="WorkerMessages.NetworkKnown"/>).
/// </summary>
public sealed class WorkerRegistrationActor : ReceiveActor, IWithTimers
{
    private sealed record RegisterTick : INoSerializationVerificationNeeded;
    private sealed record StakeOutcome(string Message, bool Ok) : INoSerializationVerificationNeeded;
    private sealed record Measured(double StepsPerSecond) : INoSerializationVerificationNeeded;
    private sealed record BandwidthMeasured(double Mbps, string? Failure) : INoSerializationVerificationNeeded;
    private enum ChainState { Unknown, Staking, Known }

    /// <summary>How often the profile is signed again, so that it never goes stale at the registry.</summary>
    private static readonly TimeSpan ProfileRefresh = TimeSpan.FromMinutes(1);

    private readonly WorkerCompute _compute;
    private readonly IActorRef _worker;
    private readonly IActorRef _coordinators;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ChainState _chain = ChainState.Unknown;
    private bool _askingChain;
    private ClaimDomain _network = ClaimDomain.None;

    /// <summary>Reference training steps per second on this worker's threads (null until measured).</summary>
    private double? _throughput;

    /// <summary>Megabits per second from the coordinators (null until measured).</summary>
    private double? _bandwidth;
    private bool _probing;

    /// <summary>The capability profile, signed once its measurements are in; sent with every registration.</summary>
    private RegisterWorker? _signedProfile;
    private bool _registered;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="worker">The worker the profile names (the coordinators' messages reach it).</param>
    /// <param name="coordinators">The worker's session with the coordinators.</param>
    public static Props Props(WorkerCompute compute, IActorRef worker, IActorRef coordinators) =>
        Akka.Actor.Props.Create(() => new WorkerRegistrationActor(compute, worker, coordinators));

    public WorkerRegistrationActor(WorkerCompute compute, IActorRef worker, IActorRef coordinators)
    {
        _compute = compute;
        _worker = worker;
        _coordinators = coordinators;
        var options = compute.Options;

        Receive<RegisterTick>(_ => Register());
        Receive<ChainInfo>(info =>
        {
            _askingChain = false;
            if (_chain != ChainState.Unknown) return;
            _chain = ChainState.Staking;
            Learnt(ClaimDomain.Of(info));
            ProviderStake.EnsureAsync(info, _compute.Key).ContinueWith(t => t.IsCompletedSuccessfully
                    ? new StakeOutcome(t.Result, true)
                    : new StakeOutcome($"could not check this provider's stake on chain {info.ChainId}: " +
                        (t.Exception is { } e ? RevertReasons.Describe(e.GetBaseException()) : "cancelled"), false))
                .PipeTo(Self);
        });
        Receive<NoChain>(_ =>
        {
            // The coordinators do not settle on chain: nothing to stake.
            _askingChain = false;
            if (_chain != ChainState.Unknown) return;
            _chain = ChainState.Known;
            Learnt(ClaimDomain.None);
            Self.Tell(new RegisterTick());
        });
        // The coordinators cannot tell their chain yet: the next tick asks again.
        Receive<RequestFailed>(failed =>
        {
            _askingChain = false;
            _log.Debug("The coordinators answered: {0}", failed.Message);
        });
        Receive<StakeOutcome>(outcome =>
        {
            _chain = outcome.Ok ? ChainState.Known : ChainState.Unknown;
            if (!outcome.Ok)
            {
                _log.Warning("{0}", outcome.Message);
                return;
            }
            _log.Info("{0}", outcome.Message);
            Self.Tell(new RegisterTick());
        });
        Receive<BandwidthMeasured>(measured =>
        {
            _probing = false;
            if (measured.Failure is { } failure)
            {
                _log.Warning("Could not measure bandwidth from the coordinators ({0}); trying again", failure);
                return;
            }
            _bandwidth = Math.Round(measured.Mbps, 1);
            _log.Info("Bandwidth from the coordinators: {0:F0} Mbps", _bandwidth);
            Self.Tell(new RegisterTick());
        });
        Receive<Measured>(measured =>
        {
            _throughput = measured.StepsPerSecond;
            _log.Info("Reference training step: {0:F1} steps/s on {1} thread(s)", measured.StepsPerSecond,
                options.Threads);
            if (options.PricePerHour is null && options.DefaultAsk is { } ask)
                _log.Info("Asking {0}", ask.Explain(measured.StepsPerSecond));
            Self.Tell(new RegisterTick());
        });
        Receive<WorkerRegistered>(_ =>
        {
            if (_registered) return;
            _registered = true;
            _log.Info("Worker {0} registered with the coordinators ({1}, {2}, key {3})", options.WorkerId,
                options.Device, options.NumericClass, _compute.Key.Address);
        });
        Receive<WorkerRefused>(refused =>
            _log.Warning("The coordinators refused worker {0}: {1}", refused.WorkerId, refused.Reason));
        // Whatever the coordinators knew of the session is gone with it; the next tick opens a new one.
        Receive<CoordinatorLost>(_ => { _registered = false; });
    }

    protected override void PreStart()
    {
        var threads = _compute.Options.Threads;
        _compute.Thread.Run(() => ReferenceStep.MeasureStepsPerSecond(threads, TimeSpan.FromMilliseconds(500)))
            .ContinueWith(t => new Measured(t.IsCompletedSuccessfully ? t.Result : 0)).PipeTo(Self);
        Self.Tell(new RegisterTick());
        Timers.StartPeriodicTimer("register", new RegisterTick(), TimeSpan.FromSeconds(3));
    }

    /// <summary>On a network that settles on chain, a provider registers once its stake is in place.</summary>
    private void Register()
    {
        if (_chain == ChainState.Unknown && !_askingChain)
        {
            _askingChain = true;
            _compute.Link.NetworkAsync(CancellationToken.None).ContinueWith(t => t.IsCompletedSuccessfully
                    ? t.Result
                    : new RequestFailed(t.Exception?.GetBaseException().Message ?? "cancelled", InvalidInput: false))
                .PipeTo(Self);
        }
        if (_bandwidth is null && !_probing) ProbeBandwidth();
        if (_chain != ChainState.Known || _throughput is not { } throughput || _bandwidth is not { } bandwidth) return;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (_signedProfile is null || now - _signedProfile.IssuedAtUnixMs > ProfileRefresh.TotalMilliseconds)
        {
            var o = _compute.Options;
            var profile = new RegisterWorker(o.WorkerId, _worker, o.Device, o.MemoryGb, o.Threads, o.NumericClass,
                o.AskFor(throughput), _compute.Key.Address, throughput, bandwidth, IssuedAtUnixMs: now);
            var signature = ClaimSigner.Sign(_compute.Key, CapabilityClaim.From(profile, _network));
            _signedProfile = profile with { Signature = signature };
        }
        _coordinators.Tell(_signedProfile);
    }

    private void Learnt(ClaimDomain network)
    {
        _network = network;
        Context.Parent.Tell(new WorkerMessages.NetworkKnown(network));
    }

    /// <summary>Times a transfer from a coordinator's edge.</summary>
    private void ProbeBandwidth()
    {
        _probing = true;
        _compute.Link.MeasureBandwidthMbpsAsync(CancellationToken.None)
            .ContinueWith(t => new BandwidthMeasured(t.IsCompletedSuccessfully ? t.Result : 0,
                t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "cancelled"))
            .PipeTo(Self);
    }
}

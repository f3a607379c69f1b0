using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Shards;

/// <summary>
/// What a ShardActor needs to dispatch and verify its shard: <see cref="Samples"/> is the job's k,
/// <see cref="NumericClass"/> the class the verifiers replay in, <see cref="Excluded"/> the workers the job
/// no longer trusts. For an <see cref="Inference"/> shard, <see cref="InnerSteps"/> is its number of batches.
/// </summary>
public sealed record ShardOrder(
    string JobId,
    int Round,
    int Shard,
    string SpecYaml,
    string BaseDirectory,
    Sha256Digest StartState,
    long StartStateBytes,
    int InnerSteps,
    int Samples,
    string NumericClass,
    Exclusion Excluded,
    int Replica = -1,
    ShardNeeds? Needs = null,
    bool Inference = false,
    double StepWork = 1)
{
    /// <summary>One of two replicas of a replicated-mode shard (0 or 1), whose parent is a <see cref="ReplicatedShardActor"/>.</summary>
    public bool Replicated => Replica >= 0;
}

/// <summary>
/// Gets one shard of one round done and verified: asks the scheduler for a worker, has its parent (the
/// JobActor) journal the assignment and its epoch, sends the worker the assignment (resuming from the last
/// good checkpoint when an earlier worker left one), watches it, and relays progress and checkpoints. When
/// the worker commits a signed result, it draws the steps to challenge from a fresh secret bound to the
/// committed root, asks the worker to open them, has a verifier replay them, and hands the result with its
/// verdict to the parent. A worker that fails, vanishes, stops making progress or is lost to the scheduler
/// is released and the shard is asked for again; the new epoch fences out the old assignment. A rejected
/// result sends the shard to another worker, never to one the job has excluded.
/// </summary>
public sealed class ShardActor : ReceiveActor, IWithTimers
{
    // Local messages between a JobActor and its ShardActors (same process, never serialized).
    public sealed record AssignRequested(int Shard, string WorkerId, IActorRef Worker, string Address = "", int Replica = -1) : INoSerializationVerificationNeeded;
    public sealed record AssignConfirmed(int Epoch, Sha256Digest? Resume) : INoSerializationVerificationNeeded;
    public sealed record Progress(int Shard, int Step, float Loss) : INoSerializationVerificationNeeded;

    /// <summary>The scheduler has no worker for the shard yet, and why (shown by `status`).</summary>
    public sealed record WaitingForWorker(int Shard, string Reason) : INoSerializationVerificationNeeded;
    public sealed record Checkpointed(ShardCheckpointed Checkpoint) : INoSerializationVerificationNeeded;
    public sealed record CheckpointUnusable(int Shard, Sha256Digest Checkpoint, string Reason) : INoSerializationVerificationNeeded;
    /// <summary>A result and its verdict; the parent persists both and answers <see cref="Accepted"/> or <see cref="Rejected"/>.</summary>
    public sealed record Judged(ShardResult Result, ShardVerdict Verdict, string WorkerAddress, IReadOnlyList<int> Steps, string Secret) : INoSerializationVerificationNeeded;
    public sealed record Verifying(int Shard, bool Active) : INoSerializationVerificationNeeded;
    public sealed record Rejected(Exclusion Excluded) : INoSerializationVerificationNeeded;
    /// <summary>The job excluded more workers: never take one of them (a granted one not yet confirmed is let go).</summary>
    public sealed record Excluded(Exclusion Workers) : INoSerializationVerificationNeeded;

    // Replicated mode, between a replica and its ReplicatedShardActor.
    /// <summary>Never take a worker of these providers (the other replica's); a granted one not yet confirmed is let go.</summary>
    public sealed record Avoid(IReadOnlyList<string> Addresses) : INoSerializationVerificationNeeded;
    public sealed record Sealed(int Replica, int Epoch, Sha256Digest Seal) : INoSerializationVerificationNeeded;
    public sealed record Reveal : INoSerializationVerificationNeeded;
    public sealed record Revealed(int Replica, ShardResult Result, IActorRef Worker) : INoSerializationVerificationNeeded;
    /// <summary>The replicas agree: prove possession of the states before <see cref="Steps"/> (no replay).</summary>
    public sealed record Possession(IReadOnlyList<int> Steps) : INoSerializationVerificationNeeded;
    /// <summary>A dispute's outcome for this replica, to be journalled like any verdict.</summary>
    public sealed record Decided(ShardVerdict Verdict) : INoSerializationVerificationNeeded;
    /// <summary>Open the state before <see cref="Step"/> for the referee; answered with <see cref="RefereeOpening"/>.</summary>
    public sealed record OpenForReferee(int Step) : INoSerializationVerificationNeeded;
    public sealed record RefereeOpening(int Replica, StepsOpened Opened) : INoSerializationVerificationNeeded;
    /// <summary>A replica that was judged and is done (accepted or rejected): the ReplicatedShardActor decides what comes next.</summary>
    public sealed record ReplicaDone(int Replica, bool Accepted) : INoSerializationVerificationNeeded;
    public sealed record Lost(int Shard, int Epoch, string WorkerId, string Reason, bool CountsAsFailure) : INoSerializationVerificationNeeded;
    public sealed record Accepted : INoSerializationVerificationNeeded;
    public sealed record Abandon : INoSerializationVerificationNeeded;
    public sealed record StartStateMissing(int Shard, string Reason) : INoSerializationVerificationNeeded;
    public sealed record StartStateRestored : INoSerializationVerificationNeeded;
    private sealed record Stalled(int Epoch) : INoSerializationVerificationNeeded;
    private sealed record ChallengeExpired(int Epoch) : INoSerializationVerificationNeeded;
    private sealed record AskAgain : INoSerializationVerificationNeeded;

    /// <summary>HOCON: how long a worker may go without reporting progress before its shard is reassigned.</summary>
    public const string StallTimeoutSetting = "gensyn.shard-stall-timeout";

    /// <summary>HOCON: how long a worker has to open the challenged states before its result is rejected as unavailable.</summary>
    public const string ChallengeTimeoutSetting = "gensyn.challenge-timeout";

    private readonly ShardOrder _order;
    private readonly IActorRef _registry;
    private readonly IActorRef _blobs;
    private readonly IActorRef _verifiers;
    private readonly BlobStore _store;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeSpan _challengeTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Exclusion _excluded;
    private IReadOnlyList<string> _avoid = [];
    private WorkerGranted? _granted;
    private string? _workerId;
    private IActorRef? _worker;
    private int _epoch = -1;
    private int _resumedAt;
    private DateTime _assignedAt;
    private (ShardResult Result, IReadOnlyList<int> Steps, byte[] Secret, bool PossessionOnly)? _challenge;
    private Sha256Digest? _seal;
    private bool _refereeing;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="network"/>: the EIP-712 domain results are signed for (null while the chain is not known yet; no chain when omitted).</summary>
    public static Props Props(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store, IActorRef verifiers, Func<ClaimDomain?>? network = null) =>
        Akka.Actor.Props.Create(() => new ShardActor(order, registry, blobs, store, verifiers, network));

    private readonly Func<ClaimDomain?> _network;

    public ShardActor(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store, IActorRef verifiers, Func<ClaimDomain?>? network = null)
    {
        _network = network ?? (() => ClaimDomain.None);
        _order = order;
        _registry = registry;
        _blobs = blobs;
        _store = store;
        _verifiers = verifiers;
        _excluded = order.Excluded;
        var config = Context.System.Settings.Config;
        _stallTimeout = config.GetTimeSpan(StallTimeoutSetting, TimeSpan.FromSeconds(60));
        _challengeTimeout = config.GetTimeSpan(ChallengeTimeoutSetting, TimeSpan.FromSeconds(60));
        Waiting();
    }

    protected override void PreStart() => AskForWorker();

    /// <summary>A crash must not strand a worker: let it go, and ask again after the restart.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _log.Error(reason, "{0}: restarting after a failure", Label);
        if (_worker is not null && _epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
        if (_workerId is not null) Context.Parent.Tell(new Lost(_order.Shard, _epoch, _workerId, "the shard's actor restarted", CountsAsFailure: false));
        _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
    }

    private void AskForWorker() => _registry.Tell(new RequestWorker(_order.JobId, _order.Round, _order.Shard, Self, _excluded.Workers,
        _avoid.Concat(_excluded.Addresses).Distinct(StringComparer.OrdinalIgnoreCase).ToList(), _order.Needs, _order.Replicated));

    private string Label => $"{_order.JobId} round {_order.Round} shard {_order.Shard}";

    private void Waiting()
    {
        Receive<WorkerWaiting>(waiting => Context.Parent.Tell(new WaitingForWorker(_order.Shard, waiting.Reason)));
        Receive<WorkerGranted>(granted =>
        {
            _granted = granted;
            _workerId = granted.WorkerId;
            _worker = granted.Worker;
            Context.Parent.Tell(new AssignRequested(_order.Shard, granted.WorkerId, granted.Worker, granted.Address, _order.Replica));
        });
        Receive<AssignConfirmed>(confirmed =>
        {
            if (_worker is null) return;
            _epoch = confirmed.Epoch;
            if (!StartStateIntact(out var problem))
            {
                // Never hand out a state that fails its hash: the JobActor recomputes it (same inputs, same bytes).
                LoseWorker($"its start state is unusable ({problem})", countsAsFailure: false, askAgain: false);
                Context.Parent.Tell(new StartStateMissing(_order.Shard, problem));
                return;
            }
            Sha256Digest? resume = null;
            _resumedAt = 0;
            // Replicas never resume from a checkpoint: each must do (and be able to prove) the whole shard itself.
            if (!_order.Replicated && confirmed.Resume is { } checkpoint && Usable(checkpoint, out var step)) (resume, _resumedAt) = (checkpoint, step);
            Context.Watch(_worker);
            _worker.Tell(new ShardAssignment(_order.JobId, _order.Round, _order.Shard, _epoch, _order.SpecYaml, _order.BaseDirectory,
                _order.StartState, _order.StartStateBytes, Self, _blobs, resume));
            _assignedAt = DateTime.UtcNow;
            ArmStallTimer();
            Become(Running);
        });
        Receive<AskAgain>(_ => AskForWorker());
        Receive<Avoid>(avoid =>
        {
            _avoid = avoid.Addresses;
            if (_workerId is null) AskForWorker();
            else if (_avoid.Contains(_granted!.Address, StringComparer.OrdinalIgnoreCase))
            {
                _log.Info("{0}: worker {1} is of the other replica's provider; asking for another", Label, _workerId);
                Release(askAgain: true, countsAsFailure: false);
            }
        });
        Receive<Excluded>(excluded =>
        {
            _excluded = excluded.Workers;
            if (_workerId is null) AskForWorker();   // the queued request gets the new list
            else if (_excluded.Covers(_workerId, _granted?.Address))
            {
                _log.Info("{0}: worker {1} is excluded from the job; asking for another", Label, _workerId);
                Release(askAgain: true, countsAsFailure: false);
            }
        });
        Receive<StartStateRestored>(_ =>
        {
            if (_workerId is null) AskForWorker();
        });
        Common();
    }

    private void Running()
    {
        Receive<Excluded>(excluded => _excluded = excluded.Workers);
        Receive<ShardProgress>(p =>
        {
            if (!Current(p.Epoch, p.WorkerId) || p.Step < 0) return;
            ArmStallTimer();
            Context.Parent.Tell(new Progress(_order.Shard, p.Step, p.Loss));
        });
        Receive<ShardCheckpointed>(c =>
        {
            if (!Current(c.Epoch, c.WorkerId) || c.JobId != _order.JobId || c.Round != _order.Round || c.Shard != _order.Shard) return;
            ArmStallTimer();
            if (_store.Contains(c.Checkpoint)) Context.Parent.Tell(new Checkpointed(c));
            else _log.Warning("{0}: worker {1} reported checkpoint {2}, which it never uploaded", Label, c.WorkerId, c.Checkpoint);
        });
        Receive<ShardResult>(result =>
        {
            if (!Current(result.Epoch, result.WorkerId) || result.JobId != _order.JobId || result.Round != _order.Round || result.Shard != _order.Shard)
            {
                _log.Warning("{0}: ignored a result for epoch {1} from worker {2} (current: epoch {3}, worker {4})",
                    Label, result.Epoch, result.WorkerId, _epoch, _workerId);
                return;
            }
            if (!_store.Contains(result.EndState))
            {
                LoseWorker($"its result names end state {result.EndState}, which it never uploaded", countsAsFailure: true);
                return;
            }
            if (!SignedByWorker(result)) return;
            ReportThroughput();
            if (_order.Replicated)
            {
                LoseWorker("it revealed its result without sealing it first (replicated mode)", countsAsFailure: true);
                return;
            }
            if (_order.Inference) Recompute(result);
            else Challenge(result);
        });
        Receive<ShardSealed>(seal =>
        {
            if (!_order.Replicated || !Current(seal.Epoch, seal.WorkerId) || seal.Round != _order.Round || seal.Shard != _order.Shard) return;
            Timers.Cancel("stall");
            ReportThroughput();
            _seal = seal.Seal;
            _log.Info("{0}: replica {1} (worker {2}) sealed its result", Label, _order.Replica, _workerId);
            Context.Parent.Tell(new Sealed(_order.Replica, _epoch, seal.Seal));
            Become(SealedReplica);
        });
        Receive<ShardFailed>(failed =>
        {
            if (!Current(failed.Epoch, failed.WorkerId)) return;
            var busy = failed.Reason.StartsWith("busy", StringComparison.Ordinal);
            LoseWorker($"the worker failed: {failed.Reason}", countsAsFailure: !busy);
        });
        Receive<Stalled>(stalled =>
        {
            if (stalled.Epoch == _epoch) LoseWorker($"no progress for {_stallTimeout.TotalSeconds:0} s", countsAsFailure: true);
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_worker)) LoseWorker("the worker's process is gone", countsAsFailure: true, workerGone: true);
        });
        Common();
    }

    /// <summary>
    /// Tells the scheduler how fast the worker went as this coordinator saw it: the shard's steps (times the model's step work)
    /// over the time from the assignment to the result. Nothing in it is the worker's word.
    /// </summary>
    private void ReportThroughput()
    {
        var steps = _order.InnerSteps - _resumedAt;
        if (_order.Inference || _workerId is null || steps <= 0) return;
        _registry.Tell(new WorkerThroughputObserved(_workerId, steps, _order.StepWork, (DateTime.UtcNow - _assignedAt).TotalSeconds));
    }

    private bool SignedByWorker(ShardResult result)
    {
        if (_network() is not { } network)
        {
            LoseWorker("this coordinator does not know its chain yet, so it cannot check the result's signature", countsAsFailure: false);
            return false;
        }
        var signature = ClaimSigner.Check(ShardResultClaim.From(result, network), result.Signature, _granted!.Address);
        if (signature.Valid) return true;
        LoseWorker($"its result is not signed by its registered key {_granted.Address} ({signature.Reason})", countsAsFailure: true);
        return false;
    }

    /// <summary>A replica that sealed waits for the other; then it reveals, and its result must open the seal.</summary>
    private void SealedReplica()
    {
        Receive<Reveal>(_ =>
        {
            _worker!.Tell(new RevealShard(_order.JobId, _order.Round, _order.Shard, _epoch));
            Timers.StartSingleTimer("challenge", new ChallengeExpired(_epoch), _challengeTimeout);
        });
        Receive<ShardResult>(result =>
        {
            if (!Current(result.Epoch, result.WorkerId) || result.Round != _order.Round || result.Shard != _order.Shard) return;
            Timers.Cancel("challenge");
            if (!_store.Contains(result.EndState))
            {
                LoseWorker($"its result names end state {result.EndState}, which it never uploaded", countsAsFailure: true);
                return;
            }
            if (!SignedByWorker(result)) return;
            var salt = Convert.FromHexString(result.Salt is { Length: 2 * ReplicaSeal.SaltSize } hex && hex.All(Uri.IsHexDigit) ? hex : "");
            _challenge = (result, [], [], false);
            if (!ReplicaSeal.Opens(_seal!.Value, result.MerkleRoot, salt, result.WorkerId))
            {
                Become(Challenging);
                Judge(Verdict(VerdictOutcome.Fraud, $"its revealed root {result.MerkleRoot.ToString()[..12]} does not open the seal it committed to (a copied result)"));
                return;
            }
            Context.Parent.Tell(new Revealed(_order.Replica, result, _worker!));
            Become(Challenging);
        });
        Receive<ChallengeExpired>(expired =>
        {
            if (expired.Epoch != _epoch) return;
            _challenge = (new ShardResult(_order.JobId, _order.Round, _order.Shard, _epoch, _workerId!, default, default, [], ""), [], [], false);
            Become(Challenging);
            Judge(Verdict(VerdictOutcome.Unavailable, $"it did not reveal its sealed result within {_challengeTimeout.TotalSeconds:0} s"));
        });
        Receive<Excluded>(excluded => _excluded = excluded.Workers);
        Receive<Avoid>(avoid => _avoid = avoid.Addresses);
        Receive<ShardProgress>(_ => { });
        Receive<ShardCheckpointed>(_ => { });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_worker)) LoseWorker("the worker's process is gone before it revealed its result", countsAsFailure: true, workerGone: true);
        });
        Common();
    }

    /// <summary>
    /// Draws the steps to challenge — after the result is committed, from a fresh secret, so the worker could not
    /// know them — and asks the worker to open them. Fewer steps for a worker with a long honest streak, never none.
    /// Replicas whose roots agree are asked for given steps, to prove possession only.
    /// </summary>
    private void Challenge(ShardResult result, IReadOnlyList<int>? given = null)
    {
        var secret = ChallengeSampler.NewSecret();
        var k = VerificationPolicy.Samples(_order.Samples, _granted!.HonestStreak);
        var steps = given ?? VerificationPolicy.Draw(secret, _order.JobId, _order.Round, _order.Shard, result.MerkleRoot, _order.InnerSteps, _resumedAt, k);
        _challenge = (result, steps, given is null ? secret : [], given is not null);
        Timers.Cancel("stall");
        _log.Info("{0}: worker {1} committed root {2}; challenging {3} step(s): {4}", Label, _workerId, result.MerkleRoot.ToString()[..12], steps.Count, string.Join(", ", steps));
        _worker!.Tell(new OpenSteps(_order.JobId, _order.Round, _order.Shard, _epoch, steps, CrossClass && given is null));
        Timers.StartSingleTimer("challenge", new ChallengeExpired(_epoch), _challengeTimeout);
        Context.Parent.Tell(new Verifying(_order.Shard, true));
        Become(Challenging);
    }

    /// <summary>
    /// An inference result: the worker delivered every prediction and committed to them, so nothing needs opening; the
    /// batches to recompute are drawn as challenged steps are (after the commitment, from a fresh secret) and a verifier
    /// recomputes them from the model.
    /// </summary>
    private void Recompute(ShardResult result)
    {
        var secret = ChallengeSampler.NewSecret();
        var k = VerificationPolicy.Samples(_order.Samples, _granted!.HonestStreak);
        var batches = VerificationPolicy.Draw(secret, _order.JobId, _order.Round, _order.Shard, result.MerkleRoot, _order.InnerSteps, 0, k);
        _challenge = (result, batches, secret, false);
        Timers.Cancel("stall");
        _log.Info("{0}: worker {1} committed predictions {2}; recomputing {3} batch(es): {4}", Label, _workerId, result.MerkleRoot.ToString()[..12],
            batches.Count, string.Join(", ", batches));
        Context.Parent.Tell(new Verifying(_order.Shard, true));
        Become(Challenging);
        _verifiers.Tell(new VerifyShard(_order.JobId, _order.SpecYaml, _order.BaseDirectory, _order.Round, _order.Shard, _epoch, _workerId!,
            _granted.Address, result.MerkleRoot, _order.StartState, result.EndState, batches, [], CrossClass, _blobs, Inference: true, Network: _network()));
    }

    /// <summary>Whether the worker's results are bit-comparable with the verifiers' (else the tolerance check, which needs the states after too).</summary>
    private bool CrossClass => _granted!.NumericClass != _order.NumericClass;

    private void Challenging()
    {
        Receive<Possession>(possession =>
        {
            if (_challenge is { } c) Challenge(c.Result, possession.Steps);
        });
        Receive<Decided>(decided => Judge(decided.Verdict with { Epoch = _epoch, WorkerId = _workerId! }));
        Receive<OpenForReferee>(open =>
        {
            _refereeing = true;
            _worker!.Tell(new OpenSteps(_order.JobId, _order.Round, _order.Shard, _epoch, [open.Step], false));
        });
        Receive<StepsOpened>(opened =>
        {
            if (_challenge is not { } c || !Current(opened.Epoch, opened.WorkerId) || opened.Round != _order.Round || opened.Shard != _order.Shard) return;
            if (_refereeing)
            {
                _refereeing = false;
                Context.Parent.Tell(new RefereeOpening(_order.Replica, opened));
                return;
            }
            var missing = opened.Leaves?.FirstOrDefault(l => l?.State is { } state && !_store.Contains(state));
            if (missing is not null)
            {
                Judge(Verdict(VerdictOutcome.Invalid, $"its opening of leaf {missing.Leaf} names state {missing.State}, which it never uploaded"));
                return;
            }
            _verifiers.Tell(new VerifyShard(_order.JobId, _order.SpecYaml, _order.BaseDirectory, _order.Round, _order.Shard, _epoch, _workerId!,
                _granted!.Address, c.Result.MerkleRoot, _order.StartState, c.Result.EndState, c.Steps, opened.Leaves ?? [], CrossClass && !c.PossessionOnly,
                _blobs, c.PossessionOnly, Network: _network()));
        });
        Receive<ShardVerdict>(verdict =>
        {
            if (_challenge is null || !Current(verdict.Epoch, verdict.WorkerId)) return;
            if (verdict.Outcome == VerdictOutcome.Inconclusive)
            {
                // The verifier failed, not the worker: nobody is judged, the shard runs again.
                _challenge = null;
                Context.Parent.Tell(new Verifying(_order.Shard, false));
                LoseWorker($"its result could not be verified ({verdict.Reason})", countsAsFailure: false);
                return;
            }
            Judge(verdict);
        });
        Receive<ChallengeExpired>(expired =>
        {
            if (expired.Epoch == _epoch && _challenge is not null)
                Judge(Verdict(VerdictOutcome.Unavailable, $"it did not open the challenged steps within {_challengeTimeout.TotalSeconds:0} s"));
        });
        Receive<Accepted>(_ =>
        {
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: true));
            Context.Unwatch(_worker);
            if (_order.Replicated) Context.Parent.Tell(new ReplicaDone(_order.Replica, true));
            Context.Stop(Self);
        });
        Receive<Rejected>(rejected =>
        {
            _excluded = rejected.Excluded;
            Context.Parent.Tell(new Verifying(_order.Shard, false));
            _challenge = null;
            // A rejected replica stops: its ReplicatedShardActor decides whether the shard runs again.
            Release(askAgain: !_order.Replicated, countsAsFailure: true);
            if (!_order.Replicated) return;
            Context.Parent.Tell(new ReplicaDone(_order.Replica, false));
            Context.Stop(Self);
        });
        Receive<Excluded>(excluded => _excluded = excluded.Workers);
        Receive<ShardProgress>(_ => { });
        Receive<ShardCheckpointed>(_ => { });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_worker)) return;
            _challenge = null;
            Context.Parent.Tell(new Verifying(_order.Shard, false));
            LoseWorker("the worker's process is gone before its result was verified", countsAsFailure: true, workerGone: true);
        });
        Common();
    }

    private ShardVerdict Verdict(VerdictOutcome outcome, string reason) =>
        new(_order.JobId, _order.Round, _order.Shard, _epoch, _workerId!, outcome, reason);

    /// <summary>Hands the result and its verdict to the parent, which persists them and answers Accepted or Rejected.</summary>
    private void Judge(ShardVerdict verdict)
    {
        if (_challenge is not { } c) return;
        Timers.Cancel("challenge");
        if (verdict.IsAccepted) _log.Info("{0}: worker {1}'s result accepted: {2}", Label, _workerId, verdict.Reason);
        else _log.Warning("{0}: worker {1}'s result rejected ({2}): {3}", Label, _workerId, verdict.Outcome, verdict.Reason);
        _registry.Tell(new WorkerJudged(_workerId!, verdict.IsAccepted, _granted!.Address));
        Context.Parent.Tell(new Judged(c.Result, verdict, _granted!.Address, c.Steps, Convert.ToHexStringLower(c.Secret)));
    }

    private void Common()
    {
        Receive<WorkerLost>(lost =>
        {
            if (lost.WorkerId == _workerId) LoseWorker("the scheduler lost the worker", countsAsFailure: true);
        });
        Receive<Abandon>(_ =>
        {
            if (_worker is not null && _epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
            Context.Stop(Self);
        });
    }

    private bool Current(int epoch, string workerId) => epoch == _epoch && workerId == _workerId;

    private void ArmStallTimer() => Timers.StartSingleTimer("stall", new Stalled(_epoch), _stallTimeout);

    /// <summary>A checkpoint is used only if its blob passes its hash and loads as this shard's checkpoint.</summary>
    private bool Usable(Sha256Digest checkpoint, out int localStep)
    {
        string reason;
        localStep = 0;
        try
        {
            var loaded = ShardCheckpointFile.Deserialize(_store.Get(checkpoint), $"checkpoint {checkpoint}");
            localStep = loaded.LocalStep;
            if (loaded.Round == _order.Round && loaded.Shard == _order.Shard) return true;
            reason = $"it belongs to round {loaded.Round} shard {loaded.Shard}";
        }
        catch (Exception e) when (e is BlobException or CheckpointException)
        {
            reason = e.Message;
        }
        _log.Warning("{0}: checkpoint {1} is unusable ({2}); the shard restarts from the round's start state", Label, checkpoint, reason);
        Context.Parent.Tell(new CheckpointUnusable(_order.Shard, checkpoint, reason));
        return false;
    }

    private bool StartStateIntact(out string problem)
    {
        try
        {
            _store.Get(_order.StartState);
            problem = "";
            return true;
        }
        catch (BlobException e)
        {
            problem = e.Message;
            return false;
        }
    }

    private void LoseWorker(string reason, bool countsAsFailure, bool askAgain = true, bool workerGone = false)
    {
        if (_workerId is null) return;
        _log.Warning("{0}: released worker {1} (epoch {2}): {3}", Label, _workerId, _epoch, reason);
        Context.Parent.Tell(new Lost(_order.Shard, _epoch, _workerId, reason, countsAsFailure));
        Release(askAgain, countsAsFailure, workerGone);
    }

    /// <summary>Lets the worker go (it stops the shard), and waits for another one.</summary>
    private void Release(bool askAgain, bool countsAsFailure, bool workerGone = false)
    {
        Timers.Cancel("stall");
        Timers.Cancel("challenge");
        if (_worker is not null)
        {
            Context.Unwatch(_worker);
            if (_epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
        }
        _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false, workerGone));
        _workerId = null;
        _worker = null;
        _granted = null;
        Become(Waiting);
        // A busy worker frees up soon: give it (or another) a moment before asking again.
        if (!askAgain) return;
        if (countsAsFailure) AskForWorker();
        else Timers.StartSingleTimer("ask-again", new AskAgain(), TimeSpan.FromSeconds(1));
    }
}

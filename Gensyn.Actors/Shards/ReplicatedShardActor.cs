using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Shards;

/// <summary>
/// Replicated mode (refereed delegation, after Verde): one shard run by two replicas — two ReplicaShardActors whose
/// workers belong to different providers. Each replica seals its root before either reveals it, so one cannot
/// copy the other. Equal roots are accepted once each replica proves it holds a committed state (no replay);
/// different roots are bisected over the two Merkle trees, one hash exchange per level, to the first step where
/// they differ, and a verifier replays that single step: the replica whose claim is wrong is rejected as fraud.
/// Everything else a replica says (assignments, progress, verdicts) passes through to the JobActor, which
/// journals it; a shard whose replicas are both rejected runs again with a new pair.
/// </summary>
public sealed partial class ReplicatedShardActor : ReceiveActor, IWithTimers
{
    private sealed record BisectTimeout(int Exchange) : INoSerializationVerificationNeeded;

    /// <summary>What the pair knows of one replica in the current attempt.</summary>
    private sealed class Replica
    {
        public IActorRef Child = ActorRefs.Nobody;
        public string? Address;
        public bool Sealed;
        public ShardResult? Result;
        public IActorRef? Worker;
        public bool? Accepted;
        public bool Done;
        public BisectReply? Reply;
    }

    private readonly ShardOrder _order;
    private readonly Func<ShardOrder, Props> _replicaProps;
    private readonly IActorRef _verifiers;
    private readonly IActorRef _blobs;
    private readonly TimeSpan _answerTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Replica[] _replicas = [new(), new()];
    private Exclusion _excluded;
    private int _attempt;
    private Bisection? _bisection;
    private int _exchange;
    private Divergence? _divergence;
    private int _refereeAsked;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ShardOrder order, Func<ShardOrder, Props> replicaProps, IActorRef verifiers, IActorRef blobs) =>
        Akka.Actor.Props.Create(() => new ReplicatedShardActor(order, replicaProps, verifiers, blobs));

    public ReplicatedShardActor(ShardOrder order, Func<ShardOrder, Props> replicaProps, IActorRef verifiers, IActorRef blobs)
    {
        _order = order;
        _replicaProps = replicaProps;
        _verifiers = verifiers;
        _blobs = blobs;
        _excluded = order.Excluded;
        _answerTimeout = Context.System.Settings.Config.GetTimeSpan(ShardActor.ChallengeTimeoutSetting, TimeSpan.FromSeconds(60));

        Receive<ShardActor.AssignRequested>(OnAssignRequested);
        Receive<ShardActor.Sealed>(s =>
        {
            if (Index(Sender) is not { } i) return;
            _replicas[i].Sealed = true;
            Context.Parent.Forward(s);
            if (_replicas.All(r => r.Sealed))
            {
                _log.Info("{0}: both replicas sealed; asking them to reveal", Label);
                foreach (var r in _replicas) r.Child.Tell(new ShardActor.Reveal());
            }
        });
        Receive<ShardActor.Revealed>(OnRevealed);
        Receive<BisectReply>(OnBisectReply);
        Receive<BisectTimeout>(t =>
        {
            if (t.Exchange == _exchange && _bisection?.Outcome is null) SubmitExchange();
        });
        Receive<ShardActor.RefereeOpening>(OnRefereeOpening);
        Receive<RefereeVerdict>(OnRefereeVerdict);
        Receive<ShardReplayed>(OnReplayedAlone);
        Receive<ShardActor.Judged>(OnJudged);
        Receive<ShardActor.ReplicaDone>(done =>
        {
            if (Index(Sender) is not { } i) return;
            _replicas[i].Done = true;
            // The shard has its result: a replica that started over (its worker was lost) has nothing left to do.
            if (!done.Accepted) return;
            foreach (var other in _replicas.Where(r => !r.Done && r.Result is null)) other.Child.Tell(new ShardActor.Abandon());
        });
        Receive<Terminated>(t =>
        {
            if (Index(t.ActorRef) is not { } i) return;
            _replicas[i].Done = true;
            ReleaseHeldVerdict();
            if (!_replicas.All(r => r.Done)) return;
            if (_replicas.Any(r => r.Accepted == true)) Context.Stop(Self);
            else StartPair();   // both rejected (or gone): a new pair runs the shard
        });
        Receive<ShardActor.Lost>(lost =>
        {
            // A replica's worker failed before its result counted: that replica starts over with another worker.
            if (Index(Sender) is { } i) Reset(_replicas[i]);
            Context.Parent.Forward(lost);
            ReleaseHeldVerdict();
        });
        Receive<ShardActor.Excluded>(excluded =>
        {
            _excluded = excluded.Workers;
            foreach (var r in _replicas) r.Child.Tell(excluded);
        });
        Receive<ShardActor.Abandon>(abandon =>
        {
            foreach (var r in _replicas) r.Child.Tell(abandon);
            Context.Stop(Self);
        });
        Receive<ShardActor.StartStateRestored>(restored =>
        {
            foreach (var r in _replicas) r.Child.Tell(restored);
        });
        // Everything else a replica reports is the JobActor's business.
        ReceiveAny(message => Context.Parent.Forward(message));
    }

    protected override void PreStart() => StartPair();

    private string Label => $"{_order.JobId} round {_order.Round} shard {_order.Shard}";

    private int? Index(IActorRef child) =>
        child.Equals(_replicas[0].Child) ? 0 : child.Equals(_replicas[1].Child) ? 1 : null;

    private void StartPair()
    {
        _attempt++;
        _bisection = null;
        _divergence = null;
        for (var i = 0; i < 2; i++)
        {
            _replicas[i] = new Replica();
            _replicas[i].Child = Context.Watch(Context.ActorOf(_replicaProps(_order with { Replica = i, Excluded = _excluded }), $"replica-{i}-{_attempt}"));
        }
    }

    private static void Reset(Replica r)
    {
        (r.Address, r.Sealed, r.Result, r.Worker, r.Reply) = (null, false, null, null, null);
    }

    /// <summary>The two replicas never share a provider: a grant of the other replica's provider is handed back.</summary>
    private void OnAssignRequested(ShardActor.AssignRequested request)
    {
        if (Index(Sender) is not { } i) return;
        var other = _replicas[1 - i];
        if (other.Address is { } taken && string.Equals(taken, request.Address, StringComparison.OrdinalIgnoreCase))
        {
            Sender.Tell(new ShardActor.Avoid([taken]));
            return;
        }
        _replicas[i].Address = request.Address;
        other.Child.Tell(new ShardActor.Avoid([request.Address]));
        Context.Parent.Forward(request);
    }

    private void OnRevealed(ShardActor.Revealed revealed)
    {
        if (Index(Sender) is not { } i) return;
        (_replicas[i].Result, _replicas[i].Worker) = (revealed.Result, revealed.Worker);
        if (_replicas.Any(r => r.Result is null)) return;
        var (a, b) = (_replicas[0].Result!, _replicas[1].Result!);
        if (a.MerkleRoot == b.MerkleRoot)
        {
            // Agreement: each replica still proves it holds a committed state, so a root copied without the work fails.
            var step = VerificationPolicy.Draw(ChallengeSampler.NewSecret(), _order.JobId, _order.Round, _order.Shard, a.MerkleRoot, _order.Segments, 0, 1);
            _log.Info("{0}: the replicas' roots agree ({1}); checking possession of the state before step {2}", Label, a.MerkleRoot.ToString()[..12], step[0]);
            foreach (var r in _replicas) r.Child.Tell(new ShardActor.Possession(step));
            return;
        }
        _log.Warning("{0}: the replicas' roots differ ({1} vs {2}); bisecting", Label, a.MerkleRoot.ToString()[..12], b.MerkleRoot.ToString()[..12]);
        _bisection = new Bisection(_order.Segments, a.MerkleRoot, b.MerkleRoot);
        _exchange = 0;
        Ask();
    }

    /// <summary>Sends the bisection's next question to both replicas' workers.</summary>
    private void Ask()
    {
        _exchange++;
        foreach (var r in _replicas) r.Reply = null;
        var (step, level, index) = _bisection!.Next switch
        {
            TopQuery => (BisectStep.Top, 0, 0),
            ChildrenQuery c => (BisectStep.Children, c.Level, c.Index),
            LeafQuery l => (BisectStep.Leaf, 0, l.Leaf),
            _ => throw new InvalidOperationException("the bisection has no question"),
        };
        foreach (var r in _replicas)
            r.Worker!.Tell(new BisectQuery(_order.JobId, _order.Round, _order.Shard, r.Result!.Epoch, step, level, index));
        Timers.StartSingleTimer("bisect", new BisectTimeout(_exchange), _answerTimeout);
    }

    private void OnBisectReply(BisectReply reply)
    {
        if (_bisection?.Outcome is not null || _bisection is null) return;
        var i = _replicas.ToList().FindIndex(r => r.Result is { } res && res.WorkerId == reply.WorkerId && res.Epoch == reply.Epoch);
        if (i < 0) return;
        _replicas[i].Reply = reply;
        if (_replicas.All(r => r.Reply is not null)) SubmitExchange();
    }

    /// <summary>Hands both answers (a missing one counts against its replica) to the bisection and goes on or concludes.</summary>
    private void SubmitExchange()
    {
        Timers.Cancel("bisect");
        var outcome = _bisection!.Submit(Answer(_replicas[0].Reply), Answer(_replicas[1].Reply));
        switch (outcome)
        {
            case null:
                Ask();
                break;
            case BisectionFault fault:
                _log.Warning("{0}: bisection ended after {1} exchange(s): {2}", Label, _bisection.Exchanges, fault.Reason);
                if (SettleSilence(fault)) break;
                Decide(fault.Party, $"during the dispute: {fault.Reason}", null, null);
                break;
            case Divergence d:
                _divergence = d;
                _log.Info("{0}: after {1} exchange(s) ({2} bytes of hashes) the replicas first differ at step {3}", Label, _bisection.Exchanges, _bisection.BytesMoved, d.Leaf);
                if (d.Leaf == 0) Referee(null);
                else AskForState(0);
                break;
        }
    }

    /// <summary>Asks replica <paramref name="i"/> to open the agreed state before the disputed step.</summary>
    private void AskForState(int i)
    {
        _refereeAsked = i;
        _replicas[i].Child.Tell(new ShardActor.OpenForReferee(_divergence!.Leaf));
    }

    private void OnRefereeOpening(ShardActor.RefereeOpening opening)
    {
        if (_divergence is not { } d) return;
        var before = opening.Opened.Leaves?.FirstOrDefault(l => l?.Leaf == d.Leaf - 1)?.State;
        Referee(before);
    }

    private void Referee(Sha256Digest? before) =>
        _verifiers.Tell(new RefereeStep(_order.JobId, _order.Spec, _order.BaseDirectory, _order.Round, _order.Shard, _divergence!.Leaf,
            _divergence.AgreedBefore, _divergence.ClaimA, _divergence.ClaimB, _order.StartState, before, _blobs));

    private void OnRefereeVerdict(RefereeVerdict verdict)
    {
        if (_divergence is not { } d) return;
        if (verdict.Culprit is null)
        {
            // The opened state was not the agreed one: the other replica opens it; if neither can, both are unavailable.
            if (_refereeAsked == 0)
            {
                AskForState(1);
                return;
            }
            Decide(Culprit.Both, $"neither replica opened the agreed state before step {d.Leaf} ({verdict.Reason})",
                null, null, VerdictOutcome.Unavailable, verdict.VerifierId);
            return;
        }
        Decide(Enum.Parse<Culprit>(verdict.Culprit), $"refereed step {d.Leaf}: {verdict.Reason}", d.Leaf,
            verdict.Expected, verifierId: verdict.VerifierId);
    }

    /// <summary>Rejects the culprit(s) with the evidence and accepts the other replica, as the referee on
    /// <paramref name="verifierId"/> ruled.</summary>
    private void Decide(Culprit culprit, string reason, int? step, Sha256Digest? expected,
        VerdictOutcome outcome = VerdictOutcome.Fraud, string? verifierId = null)
    {
        for (var i = 0; i < 2; i++)
        {
            var r = _replicas[i];
            var guilty = culprit == Culprit.Both || (culprit == Culprit.A) == (i == 0);
            var claimed = _divergence is { } d ? (i == 0 ? d.ClaimA : d.ClaimB) : (Sha256Digest?)null;
            var verdict = guilty
                ? new ShardVerdict(_order.JobId, _order.Round, _order.Shard, r.Result!.Epoch, r.Result.WorkerId, outcome, reason, step, expected, claimed)
                : new ShardVerdict(_order.JobId, _order.Round, _order.Shard, r.Result!.Epoch, r.Result.WorkerId, VerdictOutcome.Accepted,
                    $"the other replica's claim was refuted ({reason})");
            r.Child.Tell(new ShardActor.Decided(verdict with { VerifierId = verifierId }));
        }
    }
}

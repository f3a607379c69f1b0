using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

/// <summary>
/// One of the two replicas of a replicated-mode shard, the child of a <see cref="ReplicatedShardActor"/>: a spot-check
/// shard whose worker seals its root before it may reveal it, so that neither replica can copy the other. It never
/// takes a worker of the other replica's provider and never resumes from a checkpoint (each replica does, and can
/// prove, the whole shard). Once both sealed, the pair has it reveal: the result must open the seal. Replicas that
/// agree prove possession of a committed state (a spot-check with given steps, nothing replayed); replicas that
/// disagree answer the pair's bisection and open the agreed state for its referee, whose decision this replica
/// journals like any verdict. Judged and done, it tells the pair and stops.
/// </summary>
public sealed class ReplicaShardActor : SpotCheckShardActor
{
    private IReadOnlyList<string> _avoid = [];
    private bool _refereeing;

    public ReplicaShardActor(ShardOrder order, ShardServices services) : base(order, services)
    {
    }

    protected override bool ResumesFromCheckpoints => false;

    protected override IEnumerable<string> AvoidedAddresses => _avoid;

    protected override void OnWaiting() => Receive<Avoid>(avoid =>
    {
        _avoid = avoid.Addresses;
        Reconsider(a => _avoid.Contains(a.Address, StringComparer.OrdinalIgnoreCase),
            "is of the other replica's provider");
    });

    protected override void OnRunning() => Receive<ShardSealed>(seal =>
    {
        if (!Current(seal.Epoch, seal.WorkerId) || !Order.Names(seal.JobId, seal.Round, seal.Shard)) return;
        Timers.Cancel("stall");
        ReportThroughput();
        Attempt = Attempt!.Sealing(seal.Seal);
        Log.Info("{0}: replica {1} (worker {2}) sealed its result", Label, Order.Replica, Attempt.WorkerId);
        Context.Parent.Tell(
            new Sealed(Order.Round, Order.Shard, Order.Replica, Attempt.Epoch, Attempt.WorkerId, seal.Seal));
        Become(SealedReplica);
    });

    /// <summary>A replica must seal first: a result revealed straight away is refused.</summary>
    protected override void OnResult(ShardResult result)
    {
        ReportThroughput();
        LoseWorker("it revealed its result without sealing it first (replicated mode)", countsAsFailure: true);
    }

    /// <summary>A replica that sealed waits for the other; then it reveals: its result must open the seal.</summary>
    private void SealedReplica()
    {
        Receive<Reveal>(_ =>
        {
            Worker!.Tell(new RevealShard(Order.JobId, Order.Round, Order.Shard, Attempt!.Epoch));
            Timers.StartSingleTimer("challenge", new ChallengeExpired(Attempt.Epoch), ChallengeTimeout);
        });
        Receive<ShardResult>(result =>
        {
            if (!Admit(result)) return;
            Timers.Cancel("challenge");
            Attempt = Attempt!.Revealed(result);
            Become(Challenging);
            if (Attempt.SealRefusal(result) is { } refusal) Judge(Verdict(VerdictOutcome.Fraud, refusal));
            else Context.Parent.Tell(new Revealed(Order.Replica, result, Worker!));
        });
        Receive<ChallengeExpired>(expired =>
        {
            if (expired.Epoch != Attempt?.Epoch) return;
            Attempt = Attempt.Unrevealed(Order);
            Become(Challenging);
            Judge(Verdict(VerdictOutcome.Unavailable,
                $"it did not reveal its sealed result within {ChallengeTimeout.TotalSeconds:0} s"));
        });
        Receive<Excluded>(excluded => ExcludedWorkers = excluded.Workers);
        Receive<Avoid>(avoid => _avoid = avoid.Addresses);
        IgnoreProgress();
        OnWorkerGone("the worker's process is gone before it revealed its result");
        Common();
    }

    /// <summary>A replica uploads its end state before its result: agreeing replicas' possession proofs replay
    /// nothing that could rebuild it.</summary>
    protected override bool EndStateRebuilt => false;

    protected override void OnChallenging()
    {
        base.OnChallenging();
        Receive<Possession>(possession =>
        {
            if (Attempt?.Challenge is { } c) Challenge(c.Result, possession.Steps);
        });
        Receive<Decided>(decided =>
            Judge(decided.Verdict with { Epoch = Attempt!.Epoch, WorkerId = Attempt.WorkerId }));
        Receive<OpenForReferee>(open =>
        {
            _refereeing = true;
            Worker!.Tell(new OpenSteps(Order.JobId, Order.Round, Order.Shard, Attempt!.Epoch, [open.Step], false));
        });
    }

    /// <summary>An opening the pair's referee asked for goes to the pair; a possession proof to a verifier.</summary>
    protected override void Opened(StepsOpened opened)
    {
        if (!_refereeing)
        {
            base.Opened(opened);
            return;
        }
        _refereeing = false;
        Context.Parent.Tell(new RefereeOpening(Order.Replica, opened));
    }

    protected override void OnAccepted() => Context.Parent.Tell(new ReplicaDone(Order.Replica, true));

    /// <summary>A rejected replica stops: its ReplicatedShardActor decides whether the shard runs again.</summary>
    protected override void AfterRejection()
    {
        Release(askAgain: false, countsAsFailure: true);
        Context.Parent.Tell(new ReplicaDone(Order.Replica, false));
        Context.Stop(Self);
    }
}

using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Verification;
using Xunit.Abstractions;

namespace Gensyn.Tests.Shards;

/// <summary>
/// Replicated mode: a <see cref="ReplicatedShardActor"/> with its two <see cref="ReplicaShardActor"/>s (made by
/// <see cref="ShardActor.Props"/>, as the JobActor makes them), the parent, scheduler, verifiers and both workers
/// being probes. Each worker's committed root is the Merkle root of its step digests, so the pair's bisection runs
/// on real trees.
/// </summary>
public sealed class ReplicatedShardActorTests(ITestOutputHelper output) : ShardSpec(output)
{
    /// <summary>A replica's worker as the specs play it: probe, key, epoch, step digests 0..8 and their tree.</summary>
    private sealed record Replica(
        int Index, TestProbe Worker, string WorkerId, WorkerKey Key, int Epoch, IActorRef Shard)
    {
        public IReadOnlyList<Sha256Digest> Digests { get; set; } = [];
        public MerkleTree Tree => new(Digests);
        public byte[] Salt { get; } = ReplicaSeal.NewSalt();
    }

    private static IReadOnlyList<Sha256Digest> Digests(string trajectory, int divergeFrom = int.MaxValue) =>
        Enumerable.Range(0, 9).Select(step => Sha256Digest.Of(Encoding.UTF8.GetBytes(
            step < divergeFrom ? $"honest step {step}" : $"{trajectory} step {step}"))).ToList();

    /// <summary>
    /// Starts the pair and has the scheduler grant each replica a worker of its own provider: once one replica holds
    /// a worker, the other asks again, avoiding that worker's key. Returns the replicas by index, assigned.
    /// </summary>
    private (IActorRef Pair, Replica[] Replicas) StartPair()
    {
        var pair = _parent.ChildActorOf(ReplicatedShardActor.Props(Order, ShardProps, _verifiers.Ref, _blobs.Ref));
        var requests = new[] { _registry.ExpectMsg<RequestWorker>(), _registry.ExpectMsg<RequestWorker>() };
        Assert.All(requests, r => Assert.True(r.Replicated));
        Assert.NotEqual(requests[0].Requester, requests[1].Requester);

        var replicas = new Replica[2];
        var first = Grant(requests[0].Requester, "w-first", epoch: 1);
        // The other replica learns the first one's provider and asks again without it.
        var again = _registry.ExpectMsg<RequestWorker>();
        Assert.Equal(requests[1].Requester, again.Requester);
        Assert.Contains(first.Key.Address, again.ExcludeAddresses!);
        var second = Grant(requests[1].Requester, "w-second", epoch: 2);
        foreach (var r in new[] { first, second }) replicas[r.Index] = r;
        return (pair, replicas);
    }

    private Replica Grant(IActorRef shard, string workerId, int epoch)
    {
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        shard.Tell(new WorkerGranted((WorkerId)workerId, worker.Ref, 4, NumericClass, key.Address), _registry.Ref);
        var requested = _parent.ExpectMsg<ShardActor.AssignRequested>();
        Assert.Equal((workerId, key.Address), (requested.WorkerId, requested.Address));
        _parent.LastSender.Tell(new ShardActor.AssignConfirmed(epoch, null), _parent.Ref);
        var assignment = worker.ExpectMsg<ShardAssignment>();
        Assert.Equal(epoch, assignment.Epoch);
        return new Replica(requested.Replica, worker, workerId, key, epoch, assignment.ShardActor);
    }

    /// <summary>Both workers seal their roots; the pair then asks both to reveal, and they do.</summary>
    private void SealAndReveal(Replica[] replicas, Func<Replica, Sha256Digest>? revealedRoot = null)
    {
        foreach (var r in replicas)
            r.Shard.Tell(new ShardSealed((JobId)JobId, Round, Shard, r.Epoch, (WorkerId)r.WorkerId,
                ReplicaSeal.Seal(r.Tree.Root, r.Salt, r.WorkerId)), r.Worker.Ref);
        foreach (var r in replicas)
        {
            Assert.Equal(r.Epoch, r.Worker.ExpectMsg<RevealShard>().Epoch);
            var root = revealedRoot?.Invoke(r) ?? r.Tree.Root;
            r.Shard.Tell(Result(r.WorkerId, r.Key, r.Epoch, content: $"end of {r.WorkerId}", root: root,
                salt: Convert.ToHexStringLower(r.Salt)), r.Worker.Ref);
        }
    }

    /// <summary>The next verdict the parent receives (the pair passes on all else its replicas report too).</summary>
    private ShardActor.Judged NextJudged()
    {
        while (true)
            if (_parent.ExpectMsg<object>() is ShardActor.Judged judged) return judged;
    }

    /// <summary>The two verdicts the parent receives, by worker id; it answers each as a job would.</summary>
    private Dictionary<string, ShardVerdict> JudgedByWorker()
    {
        var verdicts = new Dictionary<string, ShardVerdict>();
        for (var i = 0; i < 2; i++)
        {
            var judged = NextJudged();
            verdicts[judged.Verdict.WorkerId] = judged.Verdict;
            _parent.LastSender.Tell(judged.Verdict.IsAccepted
                ? new ShardActor.Accepted()
                : new ShardActor.Rejected(new Exclusion([judged.Verdict.WorkerId], [])), _parent.Ref);
        }
        return verdicts;
    }

    [Fact]
    public void Replicas_that_agree_prove_possession_of_the_same_drawn_state_and_are_both_accepted()
    {
        var (pair, replicas) = StartPair();
        Watch(pair);
        foreach (var r in replicas) r.Digests = Digests("honest");
        SealAndReveal(replicas);

        var opens = replicas.Select(r => r.Worker.ExpectMsg<OpenSteps>()).ToList();
        Assert.All(opens, open => Assert.Single(open.Steps));
        Assert.Equal(opens[0].Steps, opens[1].Steps);
        Assert.All(opens, open => Assert.False(open.WithAfter));
        foreach (var r in replicas)
            r.Shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, r.Epoch, (WorkerId)r.WorkerId, []), r.Worker.Ref);
        var checks = new[] { _verifiers.ExpectMsg<VerifyShard>(), _verifiers.ExpectMsg<VerifyShard>() };
        Assert.All(checks, check => Assert.True(check.PossessionOnly));
        Assert.Equal(["w-first", "w-second"], checks.Select(c => c.WorkerId.Value).Order());
        foreach (var check in checks)
            replicas.Single(r => r.WorkerId == check.WorkerId).Shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard,
                check.Epoch, check.WorkerId, VerdictOutcome.Accepted, "holds the state"), _verifiers.Ref);

        var verdicts = JudgedByWorker();
        Assert.True(verdicts["w-first"].IsAccepted);
        Assert.True(verdicts["w-second"].IsAccepted);
        ExpectTerminated(pair);   // both replicas accepted and done: the pair is done
    }

    [Fact]
    public void Replicas_that_disagree_are_bisected_to_the_first_divergent_step_and_the_refereed_culprit_is_fraud()
    {
        var (_, replicas) = StartPair();
        replicas[0].Digests = Digests("honest");
        replicas[1].Digests = Digests("lazy", divergeFrom: 5);
        SealAndReveal(replicas);

        // Each worker answers the pair's questions from its own tree until the pair knows where they part.
        OpenSteps refereeOpen;
        while (true)
        {
            var message = replicas[0].Worker.ExpectMsg<object>();
            if (message is OpenSteps open)
            {
                refereeOpen = open;
                break;
            }
            var query = Assert.IsType<BisectQuery>(message);
            var sender = replicas[0].Worker.LastSender;
            Assert.Equal(query, replicas[1].Worker.ExpectMsg<BisectQuery>() with { Epoch = query.Epoch });
            foreach (var r in replicas) sender.Tell(Answer(r, query with { Epoch = r.Epoch }), r.Worker.Ref);
        }
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(100));   // nothing is replayed before the referee

        // Replica 0 opens the agreed state before step 5 for the referee, who replays that one step.
        Assert.Equal([5], refereeOpen.Steps);
        var before = _store.Put("the state after step 4"u8.ToArray());
        var tree = replicas[0].Tree;
        var proof = tree.Prove(4);
        replicas[0].Shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, replicas[0].Epoch, (WorkerId)replicas[0].WorkerId,
            [new OpenedLeaf(4, replicas[0].Digests[4], new LeafProof(4, 9, proof.Siblings), before, null)]),
            replicas[0].Worker.Ref);
        var step = _verifiers.ExpectMsg<RefereeStep>();
        Assert.Equal(5, step.Leaf);
        Assert.Equal(before, step.BeforeState);
        Assert.Equal((replicas[0].Digests[5], replicas[1].Digests[5]), (step.ClaimA, step.ClaimB));
        _verifiers.LastSender.Tell(new RefereeVerdict((JobId)JobId, Round, Shard, "B", "step 5 replays to A's state", 5,
            replicas[0].Digests[5]), _verifiers.Ref);

        var verdicts = JudgedByWorker();
        var culprit = verdicts[replicas[1].WorkerId];
        Assert.Equal(VerdictOutcome.Fraud, culprit.Outcome);
        Assert.Equal((5, replicas[0].Digests[5]), (culprit.Step, culprit.Expected));
        Assert.Equal(replicas[1].Digests[5], culprit.Claimed);
        Assert.True(verdicts[replicas[0].WorkerId].IsAccepted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_replica_that_falls_silent_in_the_dispute_is_unavailable_and_the_other_stands_only_on_a_full_replay(
        bool replayAgrees)
    {
        var (_, replicas) = StartPair();
        replicas[0].Digests = Digests("honest");
        replicas[1].Digests = Digests("lazy", divergeFrom: 5);
        SealAndReveal(replicas);

        // The honest replica (0) is slow: it never answers; only the cheater answers the first question.
        var query = replicas[1].Worker.ExpectMsg<BisectQuery>();
        replicas[0].Worker.ExpectMsg<BisectQuery>();
        replicas[1].Worker.LastSender.Tell(Answer(replicas[1], query), replicas[1].Worker.Ref);

        // Silence proves nothing about the answering replica: the shard is replayed in full before it may stand.
        var replay = _verifiers.ExpectMsg<ReplayShard>(TimeSpan.FromSeconds(10));
        Assert.Equal((Round, Shard, Order.StartState, Order.Spec), (replay.Round, replay.Shard, replay.StartState,
            replay.Spec));
        var root = replayAgrees ? replicas[1].Tree.Root : replicas[0].Tree.Root;
        _verifiers.LastSender.Tell(new ShardReplayed((JobId)JobId, Round, Shard, root, null, 0.1), _verifiers.Ref);

        var verdicts = JudgedByWorker();
        Assert.Equal(VerdictOutcome.Unavailable, verdicts[replicas[0].WorkerId].Outcome);
        var answered = verdicts[replicas[1].WorkerId];
        Assert.Equal(replayAgrees ? VerdictOutcome.Accepted : VerdictOutcome.Fraud, answered.Outcome);
        if (!replayAgrees) Assert.Equal((replicas[0].Tree.Root, replicas[1].Tree.Root), (answered.Expected, answered.Claimed));
    }

    [Fact]
    public void A_revealed_root_that_does_not_open_its_seal_is_fraud()
    {
        var (_, replicas) = StartPair();
        foreach (var r in replicas) r.Digests = Digests("honest");
        var copied = Sha256Digest.Of("another worker's root"u8.ToArray());
        SealAndReveal(replicas, r => r.Index == 1 ? copied : r.Tree.Root);

        var judged = NextJudged();
        Assert.Equal(replicas[1].WorkerId, judged.Verdict.WorkerId);
        Assert.Equal(VerdictOutcome.Fraud, judged.Verdict.Outcome);
        Assert.Contains("does not open the seal", judged.Verdict.Reason);
    }

    /// <summary>An honest answer to <paramref name="query"/> from the replica's tree.</summary>
    private static BisectReply Answer(Replica r, BisectQuery query)
    {
        BisectionQuery question = query.Step switch
        {
            BisectStep.Top => new TopQuery(),
            BisectStep.Children => new ChildrenQuery(query.Level, query.Index),
            _ => new LeafQuery(query.Index),
        };
        var reply = new BisectReply((JobId)JobId, Round, Shard, r.Epoch, (WorkerId)r.WorkerId, query.Step, null, null, null, null);
        return Bisection.Answer(r.Tree, r.Digests, question) switch
        {
            TopAnswer top => reply with { First = top.Top },
            ChildrenAnswer children => reply with { First = children.Left, Second = children.Right },
            LeafAnswer leaf => reply with
            {
                First = leaf.Claim,
                Before = leaf.Before,
                BeforeProof = leaf.BeforeProof is { } p ? new LeafProof(p.Index, p.LeafCount, p.Siblings) : null,
            },
            var other => throw new InvalidOperationException($"unexpected answer {other}"),
        };
    }
}

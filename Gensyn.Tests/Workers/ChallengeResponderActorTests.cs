using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;
using Xunit.Abstractions;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The worker's challenge responder, holding a committed shard of made-up step digests, with a probe as the shard's
/// actor (the coordinator's side of reveals, openings and bisection).
/// </summary>
public sealed class ChallengeResponderActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "responder-job";
    private readonly TempDirectory _dir = new();
    private readonly TestProbe _shard;

    public ChallengeResponderActorTests(ITestOutputHelper output) : base(output: output) =>
        _shard = CreateTestProbe("shard");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    /// <summary>A trajectory never trained: only its committed digests, which is all bisection reads.</summary>
    private sealed class CommittedDigests(ShardTask task, ShardOutcome outcome, bool opens = false)
        : ShardTrajectory(task, outcome)
    {
        public override int KeptStates => 0;
        public override StateSnapshot OpenState(TrainingSession session, int localStep) =>
            opens ? new StateSnapshot([], localStep) : throw new InvalidOperationException("not kept");
    }

    private static CommittedShard Committed(IActorRef shardActor, SpecRef? spec = null, int shard = 0,
        bool opens = false)
    {
        var digests = Enumerable.Range(0, 9).Select(i => Sha256Digest.Of([(byte)i])).ToList();
        var tree = new MerkleTree(digests);
        var outcome = new ShardOutcome(new StateSnapshot([], 8), digests, tree.Root, new float[8]);
        var task = ShardTask.For(TestSpecs.Synthetic(innerSteps: 8, checkpointEvery: 4), 1, 0, 512);
        var assignment = new ShardAssignment((JobId)JobId, 1, shard, 0, spec ?? SpecRef.Of("name: spec\n"), "/data",
            digests[0], 1, shardActor,
            ActorRefs.Nobody);
        var result = new ShardResult((JobId)JobId, 1, shard, 0, (WorkerId)"responder", Sha256Digest.Of([9]), tree.Root,
            new float[8], "signed");
        return new CommittedShard(assignment, new CommittedDigests(task, outcome, opens), tree, result);
    }

    private IActorRef StartResponder(WorkerCompute compute, CommittedShard held)
    {
        var responder = Sys.ActorOf(ChallengeResponderActor.Props(compute));
        responder.Tell(new WorkerMessages.HoldShard(held));
        return responder;
    }

    private WorkerCompute Compute(IWorkerFaults? faults = null) =>
        new(new WorkerOptions((WorkerId)"responder", [], _dir.Path, Threads: 1, PricePerHour: 0.2)
            { Faults = faults ?? HonestWorker.Instance }, new FakeCoordinatorLink());

    [Fact]
    public void Shards_committed_one_after_another_stay_held_until_each_is_abandoned()
    {
        using var compute = Compute();
        var first = Committed(_shard.Ref);
        var second = Committed(_shard.Ref, shard: 1);
        var responder = StartResponder(compute, first);
        responder.Tell(new WorkerMessages.HoldShard(second));

        // The worker trains its next shard while the first one's result is still verified: both are answered for.
        responder.Tell(new RevealShard((JobId)JobId, 1, 0, 0));
        Assert.Equal(first.Result, _shard.ExpectMsg<ShardResult>());
        responder.Tell(new RevealShard((JobId)JobId, 1, 1, 0));
        Assert.Equal(second.Result, _shard.ExpectMsg<ShardResult>());

        // The first one judged: the coordinator lets the worker forget it, and only it.
        responder.Tell(new AbandonShard((JobId)JobId, 1, 0, 0));
        responder.Tell(new RevealShard((JobId)JobId, 1, 0, 0));
        _shard.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        responder.Tell(new RevealShard((JobId)JobId, 1, 1, 0));
        Assert.Equal(second.Result, _shard.ExpectMsg<ShardResult>());
    }

    [Fact]
    public void Challenged_states_are_opened_while_the_training_thread_is_busy_with_the_next_shard()
    {
        var yaml = TestSpecs.SyntheticYaml(innerSteps: 8, checkpointEvery: 4);
        JobSpecs.Shared.Get(yaml);
        using var compute = Compute();
        var responder = StartResponder(compute, Committed(_shard.Ref, SpecRef.Of(yaml), opens: true));
        using var training = new ManualResetEventSlim();
        var busy = compute.Thread.Run(() => training.Wait(TimeSpan.FromMinutes(2)));

        try
        {
            responder.Tell(new OpenSteps((JobId)JobId, 1, 0, 0, [3], WithAfter: false));
            var opened = _shard.ExpectMsg<StepsOpened>(TimeSpan.FromSeconds(60));
            Assert.Equal((1, 0, 0), (opened.Round, opened.Shard, opened.Epoch));
            Assert.Contains(opened.Leaves!, leaf => leaf.Leaf == 2 && leaf.State is not null);
            Assert.False(busy.IsCompleted);   // the next shard's training still holds the training thread
        }
        finally
        {
            training.Set();
        }
    }

    [Fact]
    public void A_chained_challenge_is_answered_with_the_state_before_each_run_only()
    {
        var yaml = TestSpecs.SyntheticYaml(innerSteps: 8, checkpointEvery: 4);
        JobSpecs.Shared.Get(yaml);
        using var compute = Compute();
        var responder = StartResponder(compute, Committed(_shard.Ref, SpecRef.Of(yaml), opens: true));

        responder.Tell(new OpenSteps((JobId)JobId, 1, 0, 0, [3, 4, 5, 7], WithAfter: false, Chained: true));
        var opened = _shard.ExpectMsg<StepsOpened>(TimeSpan.FromSeconds(60));

        // Steps 3..5 are one run and 7 another: only leaves 2 and 6 are opened in full, and the end state (leaf 8, as
        // step 8 is not challenged); every leaf is proven.
        Assert.Equal([2, 6, 8], opened.Leaves.Where(l => l.State is not null).Select(l => l.Leaf).ToArray());
        Assert.Equal([0, 2, 3, 4, 5, 6, 7, 8], opened.Leaves.Select(l => l.Leaf).ToArray());
        Assert.All([3, 4, 5, 7], step => Assert.NotNull(opened.Leaves.Single(l => l.Leaf == step).Signature));
    }

    [Fact]
    public void A_reveal_of_the_held_shard_sends_its_result_to_the_shard_actor()
    {
        using var compute = Compute();
        var held = Committed(_shard.Ref);
        var responder = StartResponder(compute, held);

        responder.Tell(new RevealShard((JobId)JobId, 1, 0, 0));
        Assert.Equal(held.Result, _shard.ExpectMsg<ShardResult>());
    }

    [Fact]
    public void A_bisection_question_about_the_held_shard_is_answered_from_its_tree()
    {
        using var compute = Compute();
        var held = Committed(_shard.Ref);
        var responder = StartResponder(compute, held);

        responder.Tell(new BisectQuery((JobId)JobId, 1, 0, 0, BisectStep.Top, 0, 0), _shard.Ref);
        var reply = _shard.ExpectMsg<BisectReply>();
        Assert.Equal(("responder", BisectStep.Top), (reply.WorkerId, reply.Step));
        Assert.NotNull(reply.First);
    }

    [Fact]
    public void Questions_about_another_attempt_or_after_the_session_was_lost_go_unanswered()
    {
        using var compute = Compute();
        var responder = StartResponder(compute, Committed(_shard.Ref));

        responder.Tell(new BisectQuery((JobId)JobId, 1, 0, 1, BisectStep.Top, 0, 0), _shard.Ref);
        responder.Tell(new RevealShard((JobId)JobId, 1, 1, 0));
        responder.Tell(new CoordinatorLost("edge closed"));
        responder.Tell(new RevealShard((JobId)JobId, 1, 0, 0));
        _shard.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_state_that_cannot_be_rebuilt_is_logged_with_its_round_shard_and_leaf()
    {
        var yaml = TestSpecs.SyntheticYaml(innerSteps: 8, checkpointEvery: 4);
        JobSpecs.Shared.Get(yaml);
        using var compute = Compute();
        var responder = StartResponder(compute, Committed(_shard.Ref, SpecRef.Of(yaml)));

        // Challenging step 3 opens leaf 2, the state before it, which this trajectory cannot rebuild.
        const string Logged =
            "round 1 shard 0's challenged steps: rebuilding leaf 2 (the state after step 2 of 8) failed: not kept";
        EventFilter.Warning(contains: Logged).ExpectOne(TimeSpan.FromSeconds(30),
            () => responder.Tell(new OpenSteps((JobId)JobId, 1, 0, 0, [3], WithAfter: false)));
        _shard.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_worker_rehearsing_a_refusal_answers_no_bisection_question()
    {
        var refuser = EnvironmentWorkerFaults.FromEnvironment(
            name => name == EnvironmentWorkerFaults.BehaviorVariable ? "refuser" : null);
        using var compute = Compute(refuser);
        var responder = StartResponder(compute, Committed(_shard.Ref));

        responder.Tell(new BisectQuery((JobId)JobId, 1, 0, 0, BisectStep.Top, 0, 0), _shard.Ref);
        responder.Tell(new OpenSteps((JobId)JobId, 1, 0, 0, [3], WithAfter: false));
        _shard.ExpectNoMsg(TimeSpan.FromSeconds(1));
        // Still the same held shard: a reveal is answered.
        responder.Tell(new RevealShard((JobId)JobId, 1, 0, 0));
        _shard.ExpectMsg<ShardResult>();
    }
}

using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Xunit.Abstractions;

namespace Gensyn.Tests.Shards;

/// <summary>
/// The spot-check shard actor (what <see cref="ShardActor.Props"/> gives a training shard), with probes standing in
/// for everything around it: its parent (the JobActor), the scheduler (the worker registry), the worker, the blob
/// service and the verifiers. Each spec drives the shard by sending it what those would send, and asserts what it
/// sends each of them.
/// </summary>
public sealed class ShardActorTests(ITestOutputHelper output) : ShardSpec(output)
{
    [Fact]
    public void A_granted_worker_gets_the_assignment_for_the_confirmed_epoch()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var assignment = Assign(shard, worker, "w1", WorkerKey.Generate(), epoch: 7);

        Assert.Equal((JobId, Round, Shard, 7),
            (assignment.JobId, assignment.Round, assignment.Shard, assignment.Epoch));
        Assert.Equal(_startState, assignment.StartState);
        Assert.Equal(shard, assignment.ShardActor);
        Assert.Equal(_blobs.Ref, assignment.Blobs);
        Assert.Null(assignment.ResumeFrom);
    }

    [Fact]
    public void A_signed_result_is_challenged_and_the_opened_steps_go_to_a_verifier_in_spot_check_mode()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        var result = Result("w1", key, epoch: 1);

        shard.Tell(result, worker.Ref);
        var open = worker.ExpectMsg<OpenSteps>();
        Assert.Equal((JobId, Round, Shard, 1), (open.JobId, open.Round, open.Shard, open.Epoch));
        // A key with no accepted results: new-key-samples (16) steps, so every one of H = 8.
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], open.Steps);
        Assert.All(open.Steps, step => Assert.InRange(step, 1, 8));
        Assert.False(open.WithAfter);        // same numeric class: bitwise replay, no states after
        Assert.True(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // nothing to verify before the worker opens the steps

        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", []), worker.Ref);
        var verify = _verifiers.ExpectMsg<VerifyShard>();
        Assert.Equal((JobId, Round, Shard, 1, "w1"),
            (verify.JobId, verify.Round, verify.Shard, verify.Epoch, verify.WorkerId));
        Assert.Equal(key.Address, verify.WorkerAddress);
        Assert.Equal(result.MerkleRoot, verify.Root);
        Assert.Equal(result.EndState, verify.EndState);
        Assert.Equal(_startState, verify.StartState);
        Assert.Equal(open.Steps, verify.Steps);
        Assert.False(verify.PossessionOnly);
        Assert.False(verify.Inference);
        Assert.False(verify.CrossClass);
    }

    [Fact]
    public void Results_from_another_worker_id_or_a_stale_epoch_are_ignored()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 2);
        var intruder = WorkerKey.Generate();

        shard.Tell(Result("w2", intruder, epoch: 2), worker.Ref);   // another worker's id
        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);        // the assigned worker, but an older assignment
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        _parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        _registry.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The shard still waits for the current result, and challenges it when it comes.
        shard.Tell(Result("w1", key, epoch: 2), worker.Ref);
        Assert.Equal(2, worker.ExpectMsg<OpenSteps>().Epoch);
    }

    [Fact]
    public void A_result_not_signed_by_the_granted_workers_key_is_refused_and_the_shard_asked_for_again()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        Assign(shard, worker, "w1", WorkerKey.Generate(), epoch: 1);

        shard.Tell(Result("w1", WorkerKey.Generate(), epoch: 1), worker.Ref);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.Equal(("w1", 1, true), (lost.WorkerId, lost.Epoch, lost.CountsAsFailure));
        Assert.Contains("not signed by its registered key", lost.Reason);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", false), (release.WorkerId, release.Completed));
        _registry.ExpectMsg<RequestWorker>();
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_accepted_verdict_goes_to_the_parent_and_its_acceptance_releases_the_worker_and_stops_the_shard()
    {
        var shard = StartShard();
        Watch(shard);
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        var result = Result("w1", key, epoch: 1);
        shard.Tell(result, worker.Ref);
        var open = worker.ExpectMsg<OpenSteps>();
        _parent.ExpectMsg<ShardActor.Verifying>();
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", []), worker.Ref);
        _verifiers.ExpectMsg<VerifyShard>();
        _registry.ExpectMsg<WorkerThroughputObserved>(m => m.WorkerId == "w1" && m.Steps == 8);

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Accepted, "2 steps replayed"),
            _verifiers.Ref);
        var judged = _parent.ExpectMsg<ShardActor.Judged>();
        Assert.Equal(result, judged.Result);
        Assert.True(judged.Verdict.IsAccepted);
        Assert.Equal(key.Address, judged.WorkerAddress);
        Assert.Equal(open.Steps, judged.Steps);
        Assert.Equal(64, judged.Secret.Length);   // the secret the steps were drawn from, revealed for the journal
        var told = _registry.ExpectMsg<WorkerJudged>();
        Assert.Equal(("w1", true), (told.WorkerId, told.Accepted));

        shard.Tell(new ShardActor.Accepted(), _parent.Ref);
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", true), (release.WorkerId, release.Completed));
        ExpectTerminated(shard);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // an accepted worker is not told to abandon its shard
    }

    [Fact]
    public void A_worker_with_an_honest_streak_is_freed_for_its_next_shard_at_its_commit_before_the_verdict()
    {
        var shard = StartShard();
        Watch(shard);
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1, honestStreak: 1);

        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        _registry.ExpectMsg<WorkerThroughputObserved>();
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", true, false), (release.WorkerId.ToString(), release.Completed, release.WorkerGone));
        Assert.Equal(shard, release.Requester);
        // Released while its result is unjudged: the challenge still goes to the worker, the verdict is to come.
        worker.ExpectMsg<OpenSteps>();
        Assert.True(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", []), worker.Ref);
        _verifiers.ExpectMsg<VerifyShard>();

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Accepted, "ok"),
            _verifiers.Ref);
        Assert.True(_parent.ExpectMsg<ShardActor.Judged>().Verdict.IsAccepted);
        _registry.ExpectMsg<WorkerJudged>();
        shard.Tell(new ShardActor.Accepted(), _parent.Ref);
        // Released already: now it is told it may forget what it committed for this shard.
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        ExpectTerminated(shard);
        _registry.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_new_key_is_not_freed_before_its_verdict()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);   // no honest streak yet

        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        _registry.ExpectMsg<WorkerThroughputObserved>();
        _registry.ExpectNoMsg(TimeSpan.FromMilliseconds(300));   // no ReleaseWorker until the verdict is accepted
    }

    [Fact]
    public void A_result_rejected_after_its_worker_was_freed_goes_to_another_worker()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1, honestStreak: 3);
        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        _registry.ExpectMsg<WorkerThroughputObserved>();
        Assert.True(_registry.ExpectMsg<ReleaseWorker>().Completed);   // freed at its commit
        _parent.ExpectMsg<ShardActor.Verifying>();

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Fraud, "step 2",
            Step: 2), _verifiers.Ref);
        Assert.False(_parent.ExpectMsg<ShardActor.Judged>().Verdict.IsAccepted);
        _registry.ExpectMsg<WorkerJudged>();
        shard.Tell(new ShardActor.Rejected(new Exclusion([(WorkerId)"w1"], [key.Address])), _parent.Ref);

        Assert.False(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);   // it forgets the rejected commitment
        _registry.ExpectMsg<ReleaseWorker>();                       // a no-op for the scheduler: granted elsewhere
        var again = _registry.ExpectMsg<RequestWorker>();
        Assert.Equal(["w1"], again.Exclude!.Select(id => id.Value));
        var assignment = Assign(shard, CreateTestProbe(), "w2", WorkerKey.Generate(), epoch: 2);
        Assert.Equal((2, _startState), (assignment.Epoch, assignment.StartState));
    }

    [Fact]
    public void A_worker_excluded_while_it_trains_the_shard_is_let_go_and_another_asked_for()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);

        // Its result on another shard of the job was rejected meanwhile: the job excludes its key.
        shard.Tell(new ShardActor.Excluded(new Exclusion([], [key.Address])), _parent.Ref);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.Equal(("w1", 1, false), (lost.WorkerId.ToString(), lost.Epoch, lost.CountsAsFailure));
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        Assert.False(_registry.ExpectMsg<ReleaseWorker>().Completed);
        Assert.Equal([key.Address], _registry.ExpectMsg<RequestWorker>(TimeSpan.FromSeconds(10)).ExcludeAddresses!);
    }

    [Fact]
    public void A_verdict_for_a_stale_epoch_is_ignored()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 4);
        shard.Tell(Result("w1", key, epoch: 4), worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        _parent.ExpectMsg<ShardActor.Verifying>();

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 3, (WorkerId)"w1", VerdictOutcome.Accepted, "an old verdict"),
            _verifiers.Ref);
        _parent.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The current epoch's verdict is the one judged.
        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 4, (WorkerId)"w1", VerdictOutcome.Accepted, "the current verdict"),
            _verifiers.Ref);
        Assert.Equal("the current verdict", _parent.ExpectMsg<ShardActor.Judged>().Verdict.Reason);
    }

    [Fact]
    public void A_worker_that_dies_is_released_and_its_shard_goes_to_the_next_worker_under_the_next_epoch()
    {
        var shard = StartShard();
        var first = CreateTestProbe();
        var firstKey = WorkerKey.Generate();
        Assign(shard, first, "w1", firstKey, epoch: 1);

        Sys.Stop(first.Ref);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.Equal(("w1", 1, true), (lost.WorkerId, lost.Epoch, lost.CountsAsFailure));
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", false, true), (release.WorkerId, release.Completed, release.WorkerGone));
        var again = _registry.ExpectMsg<RequestWorker>();
        Assert.Equal((JobId, Round, Shard), (again.JobId, again.Round, again.Shard));

        var second = CreateTestProbe();
        var secondKey = WorkerKey.Generate();
        var assignment = Assign(shard, second, "w2", secondKey, epoch: 2);
        Assert.Equal(2, assignment.Epoch);

        // The dead worker's result (its epoch fenced out) changes nothing; the new worker's is challenged.
        shard.Tell(Result("w1", firstKey, epoch: 1), first.Ref);
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        shard.Tell(Result("w2", secondKey, epoch: 2), second.Ref);
        Assert.Equal(2, second.ExpectMsg<OpenSteps>().Epoch);
    }

    [Fact]
    public void A_worker_that_fails_is_told_to_abandon_and_the_shard_asked_for_again()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        Assign(shard, worker, "w1", WorkerKey.Generate(), epoch: 1);

        shard.Tell(new ShardFailed((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", "out of memory"), worker.Ref);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.True(lost.CountsAsFailure);
        Assert.Contains("out of memory", lost.Reason);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        Assert.False(_registry.ExpectMsg<ReleaseWorker>().Completed);
        _registry.ExpectMsg<RequestWorker>();

        var next = CreateTestProbe();
        Assert.Equal(2, Assign(shard, next, "w3", WorkerKey.Generate(), epoch: 2).Epoch);
    }

    /// <summary>Drives a shard to the verifier: assigned, its signed result challenged and the steps opened.</summary>
    private (TestProbe Worker, WorkerKey Key, ShardResult Result) Verify(IActorRef shard, string workerId, int epoch)
    {
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, workerId, key, epoch);
        var result = Result(workerId, key, epoch);
        shard.Tell(result, worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        Assert.True(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, epoch, (WorkerId)workerId, []), worker.Ref);
        _verifiers.ExpectMsg<VerifyShard>();
        _registry.ExpectMsg<WorkerThroughputObserved>();
        return (worker, key, result);
    }

    [Fact]
    public void A_fraud_verdict_is_judged_and_its_rejection_releases_the_worker_and_asks_again_without_it()
    {
        var shard = StartShard();
        var (worker, key, result) = Verify(shard, "w1", epoch: 1);

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Fraud, "step 3 replays elsewhere",
            Step: 3), _verifiers.Ref);
        var judged = _parent.ExpectMsg<ShardActor.Judged>();
        Assert.Equal(result, judged.Result);
        Assert.Equal((VerdictOutcome.Fraud, 3), (judged.Verdict.Outcome, judged.Verdict.Step));
        var told = _registry.ExpectMsg<WorkerJudged>();
        Assert.Equal(("w1", false, key.Address), (told.WorkerId, told.Accepted, told.Address));

        // The job journals the rejection and excludes the worker and its key; the shard goes to someone else.
        shard.Tell(new ShardActor.Rejected(new Exclusion([(WorkerId)"w1"], [key.Address])), _parent.Ref);
        Assert.False(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", false), (release.WorkerId, release.Completed));
        var again = _registry.ExpectMsg<RequestWorker>();
        Assert.Equal(["w1"], again.Exclude!.Select(id => id.Value));
        Assert.Equal([key.Address], again.ExcludeAddresses!);
    }

    [Fact]
    public void A_worker_that_does_not_open_the_challenged_steps_in_time_is_judged_unavailable()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        _parent.ExpectMsg<ShardActor.Verifying>();

        // The worker never answers; the challenge timeout (1 s in these specs) runs out.
        var judged = _parent.ExpectMsg<ShardActor.Judged>(TimeSpan.FromSeconds(10));
        Assert.Equal(VerdictOutcome.Unavailable, judged.Verdict.Outcome);
        Assert.Equal((1, "w1"), (judged.Verdict.Epoch, judged.Verdict.WorkerId));
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_opening_that_names_a_state_never_uploaded_is_judged_invalid_without_a_verifier()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        var open = worker.ExpectMsg<OpenSteps>();
        _parent.ExpectMsg<ShardActor.Verifying>();

        var absent = Sha256Digest.Of("a state nobody uploaded"u8.ToArray());
        var leaf = new OpenedLeaf(open.Steps[0] - 1, absent, new LeafProof(0, 9, []), absent, null);
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", [leaf]), worker.Ref);
        var judged = _parent.ExpectMsg<ShardActor.Judged>();
        Assert.Equal(VerdictOutcome.Invalid, judged.Verdict.Outcome);
        Assert.Contains("never uploaded", judged.Verdict.Reason);
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_inconclusive_verdict_blames_nobody_and_the_shard_runs_again()
    {
        var shard = StartShard();
        var (worker, _, _) = Verify(shard, "w1", epoch: 1);

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Inconclusive, "the verifier crashed"),
            _verifiers.Ref);
        Assert.False(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.False(lost.CountsAsFailure);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        // Nobody was judged: the registry hears of no WorkerJudged, only the release and, after a moment, the request.
        Assert.False(_registry.ExpectMsg<ReleaseWorker>().Completed);
        _registry.ExpectMsg<RequestWorker>(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_granted_worker_the_job_excludes_before_confirmation_is_let_go_untold()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        shard.Tell(new WorkerGranted((WorkerId)"w1", worker.Ref, 4, NumericClass, key.Address), _registry.Ref);
        _parent.ExpectMsg<ShardActor.AssignRequested>();

        // The job answers the request with its exclusion list instead of an epoch (the key was caught elsewhere).
        shard.Tell(new ShardActor.Excluded(new Exclusion([], [key.Address])), _parent.Ref);
        var release = _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(("w1", false), (release.WorkerId, release.Completed));
        var again = _registry.ExpectMsg<RequestWorker>(TimeSpan.FromSeconds(10));
        Assert.Equal([key.Address], again.ExcludeAddresses!);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // never assigned, so nothing to abandon
    }
}

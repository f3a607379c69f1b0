using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Shards;

/// <summary>
/// The inference shard actor (what <see cref="ShardActor.Props"/> gives a shard of an inference job, as its kind
/// chooses): its worker delivers every prediction at once, so nothing is opened; a verifier recomputes the drawn
/// batches.
/// </summary>
public sealed class InferenceShardActorTests(ITestOutputHelper output) : ShardSpec(output)
{
    private ShardOrder Inference => Order with { Kind = JobKind.Inference };

    [Fact]
    public void A_committed_prediction_has_its_drawn_batches_recomputed_by_a_verifier_without_asking_the_worker()
    {
        var shard = StartShard(Inference);
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 5);
        var result = Result("w1", key, epoch: 5, content: "the predictions");

        shard.Tell(result, worker.Ref);
        Assert.True(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        var verify = _verifiers.ExpectMsg<VerifyShard>();
        Assert.True(verify.Inference);
        Assert.Equal((JobId, Round, Shard, 5, "w1"),
            (verify.JobId, verify.Round, verify.Shard, verify.Epoch, verify.WorkerId));
        Assert.Equal((result.MerkleRoot, result.EndState), (verify.Root, verify.EndState));
        Assert.Equal(8, verify.Steps.Count);   // a new key: new-key-samples (16), so all 8 batches
        Assert.All(verify.Steps, batch => Assert.InRange(batch, 1, 8));
        Assert.Empty(verify.Leaves);
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // nothing to open

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 5, (WorkerId)"w1", VerdictOutcome.Accepted, "2 batches recomputed"),
            _verifiers.Ref);
        var judged = _parent.ExpectMsg<ShardActor.Judged>();
        Assert.True(judged.Verdict.IsAccepted);
        Assert.Equal(verify.Steps, judged.Steps);
        // An inference worker's speed is not a training throughput: the registry hears only the verdict.
        Assert.True(_registry.ExpectMsg<WorkerJudged>().Accepted);
    }

    [Fact]
    public void A_checkpoint_is_never_resumed_so_any_batch_can_be_recomputed()
    {
        var checkpoint = _store.Put(ShardCheckpointFile.Serialize(new ShardCheckpoint(Round, Shard, 5,
            new StateSnapshot([new StateTensor("param/w", [1], [0f])], 5),
            Enumerable.Range(0, 6).Select(i => Sha256Digest.Of([(byte)i])).ToList(), [])));
        // The same checkpoint resumes a training shard (it is a usable one) ...
        var training = StartShard();
        Assert.Equal(checkpoint, AssignResuming(training, checkpoint, WorkerKey.Generate()).ResumeFrom);

        // ... but an inference shard starts over, and all of its 8 batches (k = 8) are drawn.
        var shard = StartShard(Inference with { Samples = 8 });
        var key = WorkerKey.Generate();
        var worker = CreateTestProbe();
        Assert.Null(AssignResuming(shard, checkpoint, key, worker).ResumeFrom);
        shard.Tell(Result("w1", key, epoch: 1), worker.Ref);
        _parent.ExpectMsg<ShardActor.Verifying>();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], _verifiers.ExpectMsg<VerifyShard>().Steps);
    }

    private ShardAssignment AssignResuming(IActorRef shard, Sha256Digest checkpoint, WorkerKey key,
        TestProbe? worker = null)
    {
        worker ??= CreateTestProbe();
        shard.Tell(new WorkerGranted((WorkerId)"w1", worker.Ref, 4, NumericClass, key.Address), _registry.Ref);
        _parent.ExpectMsg<ShardActor.AssignRequested>();
        // Signed by its maker (a worker of an earlier epoch): a training shard resumes only from such a checkpoint.
        var maker = WorkerKey.Generate();
        var made = new ShardCheckpointed((JobId)JobId, Round, Shard, 0, (WorkerId)"maker", 5, checkpoint);
        var saved = new ShardCheckpointSaved(Round, Shard, 0, (WorkerId)"maker", 5, checkpoint,
            DateTimeOffset.UnixEpoch, maker.Address, ClaimSigner.Sign(maker, CheckpointClaim.From(made, ClaimDomain.None)));
        shard.Tell(new ShardActor.AssignConfirmed(1, checkpoint, [saved]), _parent.Ref);
        return worker.ExpectMsg<ShardAssignment>();
    }

    [Fact]
    public void Made_up_predictions_are_rejected_and_the_shard_goes_to_another_worker()
    {
        var shard = StartShard(Inference);
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        shard.Tell(Result("w1", key, epoch: 1, content: "made-up predictions"), worker.Ref);
        _parent.ExpectMsg<ShardActor.Verifying>();
        _verifiers.ExpectMsg<VerifyShard>();

        shard.Tell(new ShardVerdict((JobId)JobId, Round, Shard, 1, (WorkerId)"w1", VerdictOutcome.Fraud, "batch 4 differs", Step: 4),
            _verifiers.Ref);
        Assert.Equal(VerdictOutcome.Fraud, _parent.ExpectMsg<ShardActor.Judged>().Verdict.Outcome);
        Assert.False(_registry.ExpectMsg<WorkerJudged>().Accepted);
        shard.Tell(new ShardActor.Rejected(new Exclusion([(WorkerId)"w1"], [key.Address])), _parent.Ref);
        Assert.False(_parent.ExpectMsg<ShardActor.Verifying>().Active);
        Assert.Equal(1, worker.ExpectMsg<AbandonShard>().Epoch);
        _registry.ExpectMsg<ReleaseWorker>();
        Assert.Equal(["w1"], _registry.ExpectMsg<RequestWorker>().Exclude!.Select(id => id.Value));

        var next = CreateTestProbe();
        Assert.Equal(2, Assign(shard, next, "w2", WorkerKey.Generate(), epoch: 2).Epoch);
    }

    [Fact]
    public void A_stale_epochs_predictions_are_ignored()
    {
        var shard = StartShard(Inference);
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 3);

        shard.Tell(Result("w1", key, epoch: 2), worker.Ref);
        _verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        _parent.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        shard.Tell(Result("w1", key, epoch: 3), worker.Ref);
        Assert.Equal(3, _verifiers.ExpectMsg<VerifyShard>().Epoch);
    }
}

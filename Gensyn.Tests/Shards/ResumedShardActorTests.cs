using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Shards;

/// <summary>
/// A shard resumed from a checkpoint: only a checkpoint its maker signed is resumed from (else the shard restarts
/// from the round's start state and says why), the signed checkpoint goes to the verifier with the resumer's
/// answer, and a verdict on it goes to the parent as the maker's, not the resumer's.
/// </summary>
public sealed class ResumedShardActorTests(ITestOutputHelper output) : ShardSpec(output)
{
    private const int C = 5;
    private readonly WorkerKey _maker = WorkerKey.Generate();

    /// <summary>A usable step-5 checkpoint of this shard, in the coordinator's store.</summary>
    private Sha256Digest StoredCheckpoint() =>
        _store.Put(ShardCheckpointFile.Serialize(new ShardCheckpoint(Round, Shard, C,
            new StateSnapshot([new StateTensor("param/w", [1], [0f])], C),
            Enumerable.Range(0, C + 1).Select(i => Sha256Digest.Of([(byte)i])).ToList(), [])));

    /// <summary>The journalled record of <paramref name="checkpoint"/>, made at epoch 1 by worker "maker" and signed by
    /// <paramref name="signer"/> (none: journalled before checkpoints were signed).</summary>
    private ShardCheckpointSaved Saved(Sha256Digest checkpoint, WorkerKey? signer)
    {
        var made = new ShardCheckpointed((JobId)JobId, Round, Shard, 1, (WorkerId)"maker", C, checkpoint);
        return signer is null
            ? new ShardCheckpointSaved(Round, Shard, 1, (WorkerId)"maker", C, checkpoint, DateTimeOffset.UnixEpoch)
            : new ShardCheckpointSaved(Round, Shard, 1, (WorkerId)"maker", C, checkpoint, DateTimeOffset.UnixEpoch,
                _maker.Address, ClaimSigner.Sign(signer, CheckpointClaim.From(made, ClaimDomain.None)));
    }

    private ShardAssignment AssignResuming(IActorRef shard, TestProbe worker, WorkerKey key,
        Sha256Digest checkpoint, params ShardCheckpointSaved?[] lineage)
    {
        shard.Tell(new WorkerGranted((WorkerId)"resumer", worker.Ref, 4, NumericClass, key.Address), _registry.Ref);
        _parent.ExpectMsg<ShardActor.AssignRequested>();
        var journalled = lineage.OfType<ShardCheckpointSaved>().ToList();
        shard.Tell(new ShardActor.AssignConfirmed(2, checkpoint, journalled.Count == 0 ? null : journalled),
            _parent.Ref);
        return worker.ExpectMsg<ShardAssignment>();
    }

    [Fact]
    public void A_checkpoint_without_its_makers_valid_signature_is_never_resumed_and_the_shard_restarts_from_step_0()
    {
        var checkpoint = StoredCheckpoint();
        var signed = Saved(checkpoint, _maker);
        var earlier = Saved(_store.Put("an earlier worker's checkpoint"u8.ToArray()), signer: null)
            with { LocalStep = 2 };
        var unsigned = new (string Case, ShardCheckpointSaved?[] Lineage)[]
        {
            ("an old journal's record", [Saved(checkpoint, signer: null)]),
            ("no record at all (an old snapshot)", [null]),
            ("signed by another key", [Saved(checkpoint, WorkerKey.Generate())]),
            ("a signature over another step", [signed with { LocalStep = C - 1 }]),
            ("an unsigned checkpoint it rests on", [earlier, signed]),
        };
        foreach (var (name, lineage) in unsigned)
        {
            var shard = StartShard();
            var assignment = AssignResuming(shard, CreateTestProbe(), WorkerKey.Generate(), checkpoint, lineage);

            Assert.True(assignment.ResumeFrom is null, $"{name}: resumed from an unsigned checkpoint");
            var discarded = _parent.ExpectMsg<ShardActor.CheckpointUnusable>();
            Assert.Equal(checkpoint, discarded.Checkpoint);
            Assert.Contains("signature", discarded.Reason, StringComparison.Ordinal);
            Sys.Stop(shard);
        }
    }

    [Fact]
    public void A_signed_checkpoint_is_resumed_its_steps_are_not_drawn_and_it_goes_to_the_verifier()
    {
        var checkpoint = StoredCheckpoint();
        var saved = Saved(checkpoint, _maker);
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();

        Assert.Equal(checkpoint, AssignResuming(shard, worker, key, checkpoint, saved).ResumeFrom);
        _parent.ExpectNoMsg(TimeSpan.FromMilliseconds(200));      // nothing discarded

        shard.Tell(Result("resumer", key, epoch: 2), worker.Ref);
        var open = worker.ExpectMsg<OpenSteps>();
        Assert.Equal([6, 7, 8], open.Steps);                    // its own steps; 1..5 are the maker's
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 2, (WorkerId)"resumer", []), worker.Ref);
        Assert.Equal([saved], _verifiers.ExpectMsg<VerifyShard>().ResumedFrom!);
    }

    [Fact]
    public void A_verdict_on_the_checkpoint_goes_to_the_parent_as_its_makers_and_the_shard_asks_for_another_worker()
    {
        var checkpoint = StoredCheckpoint();
        var saved = Saved(checkpoint, _maker);
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        AssignResuming(shard, worker, key, checkpoint, saved);
        shard.Tell(Result("resumer", key, epoch: 2), worker.Ref);
        worker.ExpectMsg<OpenSteps>();
        _parent.ExpectMsg<ShardActor.Verifying>();
        shard.Tell(new StepsOpened((JobId)JobId, Round, Shard, 2, (WorkerId)"resumer", []), worker.Ref);
        _verifiers.ExpectMsg<VerifyShard>();
        _registry.ExpectMsg<WorkerThroughputObserved>();

        var verdict = new ShardVerdict((JobId)JobId, Round, Shard, 2, (WorkerId)"resumer", VerdictOutcome.Fraud,
            "the step-5 checkpoint is wrong", 3, ClaimSignature: saved.Signature, Checkpoint: saved);
        shard.Tell(verdict, _verifiers.Ref);

        var judged = _parent.ExpectMsg<ShardActor.CheckpointJudged>();
        Assert.Equal((Shard, 2, (WorkerId)"resumer", verdict), (judged.Shard, judged.Epoch, judged.Resumer,
            judged.Verdict));
        var told = _registry.ExpectMsg<WorkerJudged>();
        Assert.Equal(("maker", false, _maker.Address), (told.WorkerId.ToString(), told.Accepted, told.Address));

        shard.Tell(new ShardActor.Rejected(new Exclusion([(WorkerId)"maker"], [_maker.Address])), _parent.Ref);
        Assert.Equal(2, worker.ExpectMsg<AbandonShard>().Epoch);
        _registry.ExpectMsg<ReleaseWorker>(r => r.WorkerId == "resumer" && !r.Completed);
        var again = _registry.ExpectMsg<RequestWorker>();
        Assert.Contains((WorkerId)"maker", again.Exclude!);
    }
}

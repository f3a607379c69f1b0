using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Shards;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// A resume trusts the steps before it to the checkpoint's maker, so a checkpoint stands only when the worker that was
/// assigned the shard signed it: the shard actor journals (tells its parent) a signed checkpoint with its maker's key
/// and signature, and refuses a forged, unsigned or foreign-signed one, which is then never used for a resume.
/// </summary>
public sealed class CheckpointSignatureAttackTests(ITestOutputHelper output) : ShardSpec(output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private ShardCheckpointed Checkpoint(string workerId, int epoch, WorkerKey? signer, int step = 4,
        string content = "the step-4 checkpoint")
    {
        var blob = _store.Put(System.Text.Encoding.UTF8.GetBytes(content));
        var made = new ShardCheckpointed((JobId)JobId, Round, Shard, epoch, (WorkerId)workerId, step, blob);
        return signer is null
            ? made
            : made with { Signature = ClaimSigner.Sign(signer, CheckpointClaim.From(made, ClaimDomain.None)) };
    }

    [Fact]
    public void A_checkpoint_signed_by_the_assigned_worker_is_journalled_with_its_maker_and_signature()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        var checkpoint = Checkpoint("w1", 1, key);

        shard.Tell(checkpoint, worker.Ref);
        var journalled = _parent.ExpectMsg<ShardActor.Checkpointed>();
        Assert.Equal(checkpoint, journalled.Checkpoint);
        Assert.Equal(key.Address, journalled.Maker);
        Assert.True(ClaimSigner.Verify(CheckpointClaim.From(journalled.Checkpoint), journalled.Checkpoint.Signature,
            journalled.Maker));
    }

    [Fact]
    public void A_checkpoint_with_a_forged_signature_is_refused_and_never_journalled()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        var key = WorkerKey.Generate();
        Assign(shard, worker, "w1", key, epoch: 1);
        var honest = Checkpoint("w1", 1, key);
        // The worker's own signature, moved onto another blob at a later step: it signs neither.
        var forged = Checkpoint("w1", 1, signer: null, step: 6, content: "a state the worker never reached") with
        {
            Signature = honest.Signature,
        };
        var garbled = honest with { Signature = "0x" + new string('1', 130) };

        shard.Tell(forged, worker.Ref);
        shard.Tell(garbled, worker.Ref);
        _parent.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_checkpoint_signed_by_a_key_other_than_the_assigned_workers_is_refused()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        Assign(shard, worker, "w1", WorkerKey.Generate(), epoch: 1);

        shard.Tell(Checkpoint("w1", 1, WorkerKey.Generate()), worker.Ref);
        _parent.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void An_unsigned_checkpoint_is_refused()
    {
        var shard = StartShard();
        var worker = CreateTestProbe();
        Assign(shard, worker, "w1", WorkerKey.Generate(), epoch: 1);

        shard.Tell(Checkpoint("w1", 1, signer: null), worker.Ref);
        _parent.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void The_refusal_says_in_one_line_which_key_should_have_signed_and_that_the_checkpoint_is_not_used()
    {
        var key = WorkerKey.Generate();
        var attempt = ShardAttempt.Of(new WorkerGranted((WorkerId)"w1", Akka.Actor.ActorRefs.Nobody, 4, NumericClass,
            key.Address)).Confirm(1);
        var checkpoint = Checkpoint("w1", 1, WorkerKey.Generate());

        var admission = attempt.AdmitCheckpoint(Order, checkpoint, _store.Contains, ClaimDomain.None);
        Assert.False(admission.IsAdmitted);
        Assert.False(admission.CountsAsFailure);
        Assert.Contains($"not signed by its registered key {key.Address}", admission.Refusal);
        Assert.Contains("never used for a resume", admission.Refusal);
        Assert.DoesNotContain('\n', admission.Refusal!);
        // Signed for another network (another escrow's domain): refused the same way.
        var elsewhere = new ClaimDomain(31337, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        var honest = Checkpoint("w1", 1, key);
        Assert.True(attempt.AdmitCheckpoint(Order, honest, _store.Contains, ClaimDomain.None).IsAdmitted);
        Assert.False(attempt.AdmitCheckpoint(Order, honest, _store.Contains, elsewhere).IsAdmitted);
    }
}

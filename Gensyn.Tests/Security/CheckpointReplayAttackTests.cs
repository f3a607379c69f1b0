using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Security;

/// <summary>
/// No step escapes the draw: the steps 1..c a resumed shard took from a step-c checkpoint are answered by the
/// checkpoint's maker while it is in session, or replayed by a verifier from the round's start state when it is gone;
/// a checkpoint that does not replay is its maker's fraud, with its signature as the evidence, never the resumer's.
/// </summary>
public sealed class CheckpointReplayAttackTests
{
    private static readonly JobId Job = (JobId)"job-resume";
    private static readonly WorkerKey Maker = WorkerKey.Generate();
    private static readonly ClaimDomain Network = new(31337, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    private static Sha256Digest D(string s) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(s));

    private static Sha256Digest[] Honest(int c) => Enumerable.Range(0, c + 1).Select(i => D($"state {i}")).ToArray();

    /// <summary>The journalled step-<paramref name="c"/> checkpoint of "maker", signed by
    /// <paramref name="signer"/>.</summary>
    private static ShardCheckpointSaved Saved(int c, WorkerKey? signer)
    {
        var made = new ShardCheckpointed(Job, 2, 1, 3, (WorkerId)"maker", c, D("checkpoint blob"));
        return signer is null
            ? new ShardCheckpointSaved(2, 1, 3, (WorkerId)"maker", c, made.Checkpoint, At)
            : new ShardCheckpointSaved(2, 1, 3, (WorkerId)"maker", c, made.Checkpoint, At, signer.Address,
                ClaimSigner.Sign(signer, CheckpointClaim.From(made, Network)));
    }

    [Fact]
    public void A_resume_is_answered_by_its_checkpoints_maker_while_in_session_and_replayed_when_it_is_gone()
    {
        Assert.Equal(CheckpointRoute.Maker, CheckpointReplay.Route(resumedAt: 4, makerInSession: true));
        Assert.Equal(CheckpointRoute.Replay, CheckpointReplay.Route(resumedAt: 4, makerInSession: false));
        Assert.Equal(CheckpointRoute.None, CheckpointReplay.Route(resumedAt: 0, makerInSession: false));
    }

    [Fact]
    public void A_checkpoint_that_replays_from_the_rounds_start_state_stands()
    {
        var judgement = CheckpointReplay.Judge(Job, Saved(4, Maker), Honest(4), Honest(4), Network);
        Assert.True(judgement.Stands);
        Assert.Null(judgement.Blamed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void A_signed_checkpoint_with_a_step_that_does_not_replay_is_its_makers_fraud_with_its_signature_as_evidence(
        int wrongStep)
    {
        var saved = Saved(4, Maker);
        var claimed = Honest(4);
        claimed[wrongStep] = D("a state no honest step reaches");

        var judgement = CheckpointReplay.Judge(Job, saved, claimed, Honest(4), Network);
        Assert.Equal(VerdictOutcome.Fraud, judgement.Outcome);
        Assert.Equal(wrongStep, judgement.Step);
        Assert.Equal((WorkerId)"maker", judgement.Blamed);      // the maker, never the worker that resumed from it
        Assert.Equal(Maker.Address, judgement.Maker);
        Assert.Equal(saved.Signature, judgement.Evidence);
        var claim = new CheckpointClaim(Job, 2, 1, 3, "maker", 4, saved.Checkpoint, Network);
        Assert.True(ClaimSigner.Verify(claim, judgement.Evidence, judgement.Maker));
        Assert.False(judgement.Stands);
    }

    [Fact]
    public void A_checkpoint_claiming_another_start_state_is_fraud_at_step_zero()
    {
        var claimed = Honest(4);
        claimed[0] = D("another round's start");
        var judgement = CheckpointReplay.Judge(Job, Saved(4, Maker), claimed, Honest(4), Network);
        Assert.Equal((VerdictOutcome.Fraud, 0), (judgement.Outcome, judgement.Step));
    }

    [Fact]
    public void A_wrong_checkpoint_without_a_valid_signature_blames_nobody_and_does_not_stand()
    {
        var claimed = Honest(4);
        claimed[2] = D("forged");
        var foreign = Saved(4, WorkerKey.Generate()) with { Maker = Maker.Address };
        foreach (var saved in new[] { Saved(4, signer: null), foreign })
        {
            var judgement = CheckpointReplay.Judge(Job, saved, claimed, Honest(4), Network);
            Assert.Equal(VerdictOutcome.Inconclusive, judgement.Outcome);
            Assert.Null(judgement.Blamed);
            Assert.False(judgement.Stands);
        }
    }

    [Fact]
    public void A_checkpoint_with_the_wrong_number_of_step_digests_is_invalid_and_its_makers()
    {
        var judgement = CheckpointReplay.Judge(Job, Saved(4, Maker), Honest(3), Honest(4), Network);
        Assert.Equal(VerdictOutcome.Invalid, judgement.Outcome);
        Assert.Equal((WorkerId)"maker", judgement.Blamed);
    }

    [Fact]
    public void A_short_replay_is_the_verifiers_failure_and_blames_nobody()
    {
        var judgement = CheckpointReplay.Judge(Job, Saved(4, Maker), Honest(4), Honest(2), Network);
        Assert.Equal(VerdictOutcome.Inconclusive, judgement.Outcome);
        Assert.Null(judgement.Blamed);
    }
}

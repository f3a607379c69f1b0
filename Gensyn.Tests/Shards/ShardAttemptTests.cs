using System.Text;
using Akka.Actor;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Shards;

/// <summary>The rules of one worker's attempt at a shard, without an actor: fencing, admission, challenge.</summary>
public sealed class ShardAttemptTests
{
    private static readonly Sha256Digest StartState = Sha256Digest.Of("start"u8.ToArray());
    private static readonly Sha256Digest EndState = Sha256Digest.Of("end"u8.ToArray());
    private static readonly WorkerKey Key = WorkerKey.Generate();

    private static ShardOrder Order(int samples = 2) => new((JobId)"job-a", 2, 1, SpecRef.Of("name: spec\n"), "/data", StartState, 10,
        InnerSteps: 8, Samples: samples, "fp32", Exclusion.None);

    private static ShardAttempt Granted(int honestStreak = 0, string numericClass = "fp32") =>
        ShardAttempt.Of(new WorkerGranted((WorkerId)"w1", ActorRefs.Nobody, 4, numericClass, Key.Address, honestStreak));

    private static ShardResult Result(int epoch, string workerId = "w1", WorkerKey? signer = null, int round = 2,
        string root = "root")
    {
        var result = new ShardResult((JobId)"job-a", round, 1, epoch, (WorkerId)workerId, EndState,
            Sha256Digest.Of(Encoding.UTF8.GetBytes(root)), [0.5f], "");
        var claim = ShardResultClaim.From(result, ClaimDomain.None);
        return result with { Signature = ClaimSigner.Sign(signer ?? Key, claim) };
    }

    private static Admission Admit(ShardAttempt attempt, ShardResult result, bool stored = true,
        ClaimDomain? network = null) =>
        attempt.Admit(Order(), result, _ => stored, network ?? ClaimDomain.None);

    [Fact]
    public void A_granted_attempt_speaks_for_the_shard_only_once_confirmed_and_only_under_its_epoch_and_worker()
    {
        var granted = Granted();
        Assert.False(granted.Confirmed);
        Assert.False(granted.Current(-1, (WorkerId)"w1"));   // nothing was assigned yet

        var confirmed = granted.Confirm(4);
        Assert.True(confirmed.Current(4, (WorkerId)"w1"));
        Assert.False(confirmed.Current(3, (WorkerId)"w1"));
        Assert.False(confirmed.Current(4, (WorkerId)"w2"));
    }

    [Fact]
    public void Only_the_current_epochs_result_for_this_shard_is_admitted_and_others_are_fenced_out()
    {
        var attempt = Granted().Confirm(3);
        Assert.True(Admit(attempt, Result(3)).IsAdmitted);
        Assert.True(Admit(attempt, Result(2)).Stale);
        Assert.True(Admit(attempt, Result(3, workerId: "w2")).Stale);
        Assert.True(Admit(attempt, Result(3, round: 1)).Stale);
        Assert.True(Admit(Granted(), Result(0)).Stale);   // granted, not yet confirmed: nothing is current
    }

    [Fact]
    public void A_result_whose_end_state_was_never_uploaded_is_refused_and_counts_against_the_shard()
    {
        var admission = Admit(Granted().Confirm(1), Result(1), stored: false);
        Assert.False(admission.IsAdmitted);
        Assert.True(admission.CountsAsFailure);
        Assert.Contains("never uploaded", admission.Refusal);
    }

    [Fact]
    public void A_result_signed_by_another_key_is_refused_and_counts_against_the_shard()
    {
        var admission = Admit(Granted().Confirm(1), Result(1, signer: WorkerKey.Generate()));
        Assert.True(admission.CountsAsFailure);
        Assert.Contains($"not signed by its registered key {Key.Address}", admission.Refusal);
    }

    [Fact]
    public void Without_a_known_chain_a_result_is_refused_but_nobody_is_blamed()
    {
        var admission = Granted().Confirm(1).Admit(Order(), Result(1), _ => true, network: null);
        Assert.False(admission.IsAdmitted);
        Assert.False(admission.CountsAsFailure);
        Assert.Contains("does not know its chain yet", admission.Refusal);
    }

    [Fact]
    public void The_challenge_draws_k_steps_from_the_secret_among_the_steps_the_worker_ran_itself()
    {
        var secret = ChallengeSampler.NewSecret();
        var result = Result(1);
        // No new-key ramp: the spec's k = 2 drawn between the first and last steps, which are always challenged, and
        // each one-step gap between them replayed too.
        var fresh = Granted().Confirm(1).Challenged(Order(), result, secret, newKeySamples: 0).Challenge!;
        var drawn = VerificationPolicy.TrainingSteps(secret, "job-a", 2, 1, result.MerkleRoot, 8, 0, 2);
        Assert.Equal(4, drawn.Count);
        Assert.Equal(VerificationPolicy.ReplayingGaps(drawn, VerificationPolicy.ReplayedGapSegments), fresh.Steps);
        Assert.Equal((1, 8), (fresh.Steps[0], fresh.Steps[^1]));
        Assert.All(fresh.Steps, step => Assert.InRange(step, 1, 8));
        Assert.Equal(fresh.Steps, Granted().Confirm(1).Challenged(Order(), result, secret, 0).Challenge!.Steps);
        Assert.Equal((result, secret, false), (fresh.Result, fresh.Secret, fresh.PossessionOnly));

        // Resumed at step 5 from an earlier worker's checkpoint: only steps 6..8 were this worker's.
        var resumed = Granted().Confirm(1, resumedAt: 5).Challenged(Order(samples: 8), result, secret, 0).Challenge!;
        Assert.Equal([6, 7, 8], resumed.Steps);
        Assert.Equal(3, Granted().Confirm(1, resumedAt: 5).StepsRun(Order()));
    }

    [Fact]
    public void A_shard_not_resumed_has_all_its_steps_open_to_challenge_and_a_long_honest_streak_halves_k()
    {
        var all = Granted().Confirm(1).Challenged(Order(samples: 8), Result(1), ChallengeSampler.NewSecret(), 0);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], all.Challenge!.Steps);

        // k = 8 halved to 4, drawn between the two ends: 6 steps (the same-class check's replayed gaps aside; a
        // cross-class check replays no more than it draws). No ramp: the record is not a new key's.
        var trusted = Granted(honestStreak: VerificationPolicy.StreakPerHalving, numericClass: "bf16").Confirm(1);
        var halved = trusted.Challenged(Order(samples: 8), Result(1), ChallengeSampler.NewSecret(), 0);
        Assert.Equal(6, halved.Challenge!.Steps.Count);
        var inference = Order(samples: 8) with { Kind = Gensyn.Contracts.Jobs.JobKind.Inference };
        var drawn = trusted.Challenged(inference, Result(1), ChallengeSampler.NewSecret(), 0);
        Assert.Equal(4, drawn.Challenge!.Steps.Count);   // no forced ends for inference batches
    }

    [Fact]
    public void A_key_with_no_accepted_results_is_challenged_on_the_new_key_samples_or_every_step()
    {
        var fresh = Granted().Confirm(1).Challenged(Order(), Result(1), ChallengeSampler.NewSecret(), 16);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], fresh.Challenge!.Steps);   // 16 is more than H = 8

        var granted = ShardAttempt.Of(
            new WorkerGranted((WorkerId)"w1", ActorRefs.Nobody, 4, "bf16", Key.Address, 20, 20));
        var ramped = granted.Confirm(1).Challenged(Order(), Result(1), ChallengeSampler.NewSecret(), 8);
        Assert.Equal(2 + 2, ramped.Challenge!.Steps.Count);   // 8 >> 2 = 2 after 20 accepted: the spec's k
    }

    [Fact]
    public void A_same_class_check_replays_a_one_segment_gap_and_a_cross_class_one_keeps_the_draw()
    {
        // 4 segments, k = 1 for a worker with a long streak: the first, the last and one of the two between them.
        var order = Order(samples: 1) with { InnerSteps = 4 };
        var secret = ChallengeSampler.NewSecret();
        var drawn = VerificationPolicy.TrainingSteps(secret, "job-a", 2, 1, Result(1).MerkleRoot, 4, 0, 1);
        Assert.Equal(3, drawn.Count);

        // Bit for bit, the replay chains through the gap: no state is opened but the start, held by the coordinator.
        var same = Granted(honestStreak: 4 * VerificationPolicy.StreakPerHalving).Confirm(1);
        Assert.Equal([1, 2, 3, 4], same.Challenged(order, Result(1), secret, 0).Challenge!.Steps);

        // Across numeric classes every challenged state is opened anyway: the draw stands.
        var cross = Granted(honestStreak: 4 * VerificationPolicy.StreakPerHalving, numericClass: "bf16").Confirm(1);
        Assert.Equal(drawn, cross.Challenged(order, Result(1), secret, 0).Challenge!.Steps);
    }

    [Theory]
    [InlineData(new[] { 1, 3, 4 }, 1, new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 1, 4 }, 1, new[] { 1, 4 })]           // a gap of two is skipped: the state before 4 is opened
    [InlineData(new[] { 1, 4 }, 2, new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 1, 3, 6, 8 }, 1, new[] { 1, 2, 3, 6, 7, 8 })]
    [InlineData(new[] { 1, 3 }, 0, new[] { 1, 3 })]
    [InlineData(new[] { 5 }, 1, new[] { 5 })]
    public void Replaying_gaps_adds_only_the_short_runs_between_challenged_steps(int[] steps, int maxGap,
                                                                                 int[] expected) =>
        Assert.Equal(expected, VerificationPolicy.ReplayingGaps(steps, maxGap));

    [Fact]
    public void A_same_class_check_chains_a_cross_class_one_is_checked_within_tolerance_and_a_possession_proof_neither()
    {
        var order = Order(samples: 1) with { InnerSteps = 4 };
        var secret = ChallengeSampler.NewSecret();

        var same = Granted().Confirm(1).Challenged(order, Result(1), secret, 0);
        Assert.Equal((false, true), same.CheckOf(order));
        var cross = Granted(numericClass: "bf16").Confirm(1).Challenged(order, Result(1), secret, 0);
        Assert.Equal((true, false), cross.CheckOf(order));
        // Replicas of another class that agree prove possession: nothing is replayed, so nothing chains.
        var possession = Granted(numericClass: "bf16").Confirm(1).ProvingPossession(Result(1), [3]);
        Assert.Equal((false, false), possession.CheckOf(order));
        Assert.Equal((false, false), Granted().Confirm(1).ProvingPossession(Result(1), [3]).CheckOf(order));
    }

    [Fact]
    public void Agreeing_replicas_prove_possession_of_given_steps_with_no_secret()
    {
        var challenge = Granted().Confirm(1).ProvingPossession(Result(1), [3]).Challenge!;
        Assert.True(challenge.PossessionOnly);
        Assert.Equal([3], challenge.Steps);
        Assert.Empty(challenge.Secret);
    }

    [Fact]
    public void A_revealed_result_must_open_the_seal_with_its_root_salt_and_worker_id()
    {
        var salt = ReplicaSeal.NewSalt();
        var honest = Result(1) with { Salt = Convert.ToHexStringLower(salt) };
        var sealedAttempt = Granted().Confirm(1).Sealing(ReplicaSeal.Seal(honest.MerkleRoot, salt, "w1"));

        Assert.Null(sealedAttempt.SealRefusal(honest));
        var copied = Result(1, root: "copied") with { Salt = honest.Salt };
        Assert.Contains("does not open the seal", sealedAttempt.SealRefusal(copied));
        Assert.NotNull(sealedAttempt.SealRefusal(honest with { Salt = "not hex" }));
        Assert.NotNull(sealedAttempt.SealRefusal(honest with { WorkerId = (WorkerId)"w2" }));
        Assert.NotNull(Granted().Confirm(1).SealRefusal(honest));   // nothing was sealed
    }

    [Fact]
    public void Verdicts_name_the_attempts_epoch_and_worker_and_an_unrevealed_replica_stands_in_with_an_empty_result()
    {
        var attempt = Granted().Confirm(6).Unrevealed(Order());
        var verdict = attempt.Verdict(Order(), VerdictOutcome.Unavailable, "did not reveal");
        Assert.Equal(("job-a", 2, 1, 6, "w1"),
            (verdict.JobId, verdict.Round, verdict.Shard, verdict.Epoch, verdict.WorkerId));
        var standIn = attempt.Challenge!.Result;
        Assert.Equal((6, "w1", default(Sha256Digest)), (standIn.Epoch, standIn.WorkerId, standIn.MerkleRoot));
        Assert.True(Granted(numericClass: "bf16").CrossClass(Order()));
        Assert.False(Granted().CrossClass(Order()));
    }
}

using Akka.Actor;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;
using Gensyn.Training.Verification;
using Gensyn.Tests.Verification;

namespace Gensyn.Tests.Security;

/// <summary>
/// Chained openings: a bit-for-bit spot-check replays consecutive challenged steps as one run, so the worker opens in
/// full only the state before each run. What the worker may leave out is exactly what the verifier computes and checks
/// itself: any other state left out is refused, a cross-class check and a possession proof still need every state,
/// and a step faked anywhere in a run is still caught with the worker's signed claim. A spot-checked worker keeps its
/// end state: the chained replay of the last step rebuilds it, and it must be the blob the worker's result names.
/// </summary>
public sealed class ChainedOpeningAttackTests : IDisposable
{
    private const int H = 8;
    private readonly JudgedJob _job = new(innerSteps: H, seed: 31);

    public void Dispose() => _job.Dispose();

    private VerifyShard Chained(IReadOnlyList<int> steps, WorkerBehavior behavior = WorkerBehavior.Honest,
                                bool crossClass = false)
    {
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(0, 3, start, behavior, fakeFraction: 0.5);
        return _job.Answer(trajectory, start, steps, crossClass, chained: true);
    }

    private static VerifyShard WithoutState(VerifyShard request, int leaf) =>
        request with { Leaves = request.Leaves.Select(l => l.Leaf == leaf ? l with { State = null } : l).ToList() };

    private ShardVerdict AssertInvalid(VerifyShard request, string reasonPart)
    {
        var verdict = _job.Judge(request);
        Assert.Equal(VerdictOutcome.Invalid, verdict.Outcome);
        Assert.Contains(reasonPart, verdict.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', verdict.Reason);
        return verdict;
    }

    [Fact]
    public void Leaving_out_the_state_before_the_first_step_of_a_run_is_invalid()
    {
        var request = Chained([3, 4]);
        Assert.Equal(VerdictOutcome.Accepted, _job.Judge(request).Outcome);

        AssertInvalid(WithoutState(request, 2), "the state before it (leaf 2) was not opened in full");
    }

    [Fact]
    public void Leaving_out_the_state_before_a_step_whose_predecessor_was_not_challenged_is_invalid()
    {
        var request = Chained([3, 5]);
        Assert.Equal(VerdictOutcome.Accepted, _job.Judge(request).Outcome);

        AssertInvalid(WithoutState(request, 4), "the state before it (leaf 4) was not opened in full");
    }

    [Fact]
    public void A_cross_class_check_needs_the_state_before_every_step_even_inside_a_run()
    {
        var request = Chained([3, 4], crossClass: true);
        Assert.Equal(VerdictOutcome.Accepted, _job.Judge(request).Outcome);

        AssertInvalid(WithoutState(request, 3), "the state before it (leaf 3) was not opened in full");
    }

    [Fact]
    public void A_possession_proof_needs_the_state_before_every_step_even_inside_a_run()
    {
        var request = Chained([3, 4]) with { PossessionOnly = true };

        AssertInvalid(request, "the state before it (leaf 3) was not opened in full");
    }

    [Fact]
    public void A_result_naming_another_end_state_than_the_one_its_replay_rebuilds_is_invalid_and_nothing_is_stored()
    {
        var request = _job.WithoutEndState(Chained(Enumerable.Range(1, H).ToArray()));
        var other = Gensyn.Contracts.Sha256Digest.Of("an end state the worker never had"u8);
        var stored = 0;

        AssertInvalid(request with { EndState = other }, "but the committed end state it replays to is blob");
        Assert.Equal(VerdictOutcome.Invalid, _job.Judge(request with { EndState = other }, b => { stored++; return default; }).Outcome);
        Assert.Equal(0, stored);
    }

    [Fact]
    public void An_end_state_never_uploaded_cannot_pass_a_check_that_does_not_replay_the_last_step_bit_for_bit()
    {
        var steps = Enumerable.Range(1, H).ToArray();
        var crossClass = WithoutState(_job.WithoutEndState(Chained(steps, crossClass: true)), H);
        AssertInvalid(crossClass, "which it never uploaded");
        AssertInvalid(_job.WithoutEndState(Chained(steps)) with { PossessionOnly = true }, "never uploaded");
        AssertInvalid(_job.WithoutEndState(Chained([2, 3])), "which it never uploaded");
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    public void A_faked_last_step_with_the_end_state_kept_back_is_fraud(WorkerBehavior behavior)
    {
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(0, 3, start, behavior, fakeFraction: 1.0);
        var request = _job.WithoutEndState(_job.Answer(trajectory, start, [H - 1, H], chained: true));

        var verdict = _job.Judge(request, _ => throw new InvalidOperationException("nothing may be stored"));

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(H - 1, verdict.Step);
    }

    [Fact]
    public void A_trusted_worker_that_fakes_a_middle_step_is_caught_through_the_gap_the_verifier_replays()
    {
        // mnist-mlp's shape: 4 committed segments; a key with a long honest streak is checked on k = 1 of the two
        // between the first and the last, which are always challenged.
        using var job = new JudgedJob(innerSteps: 4, seed: 31);
        var start = job.Worker.InitialState;
        var trajectory = Enumerable.Range(0, 4).Select(shard => job.Run(0, shard, start, WorkerBehavior.Lazy, 0.25))
            .First(t => t.FakedSteps.SetEquals([2]) || t.FakedSteps.SetEquals([3]));
        var faked = trajectory.FakedSteps.Single();

        // The attack as it stood: the draw takes the other middle step, the chain breaks at the gap, and the worker
        // opens its own faked state after it, which matches its commitment. The result passes.
        var missed = job.Answer(trajectory, start, [1, 5 - faked, 4], chained: true);
        Assert.Equal(VerdictOutcome.Accepted, job.Judge(missed).Outcome);

        // Now the coordinator's challenge of a same-class result replays the one-step gap, whatever it draws.
        var order = new ShardOrder((JobId)JudgedJob.JobId, 0, trajectory.Task.Shard, SpecRef.Of(job.Yaml), "/data",
            Sha256Digest.Of("start"u8), 10, InnerSteps: 4, Samples: 1, "fp32", Exclusion.None);
        var trusted = ShardAttempt.Of(new WorkerGranted((WorkerId)JudgedJob.WorkerId, ActorRefs.Nobody, 4, "fp32",
            job.Key.Address, HonestStreak: 10 * VerificationPolicy.StreakPerHalving)).Confirm(JudgedJob.Epoch);
        var result = new ShardResult(order.JobId, 0, order.Shard, JudgedJob.Epoch, (WorkerId)JudgedJob.WorkerId,
            Sha256Digest.Of("end"u8), trajectory.Outcome.MerkleRoot, [0.5f], "");
        var steps = trusted.Challenged(order, result, ChallengeSampler.NewSecret(), newKeySamples: 0).Challenge!.Steps;
        Assert.Equal([1, 2, 3, 4], steps);

        var verdict = job.Judge(job.Answer(trajectory, start, steps, chained: true));

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(faked, verdict.Step);
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    [InlineData(WorkerBehavior.Stale)]
    public void A_step_faked_inside_a_run_is_fraud_with_the_workers_signed_claim(WorkerBehavior behavior)
    {
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(0, 3, start, behavior, fakeFraction: 0.5);
        var faked = trajectory.FakedSteps.Where(s => s > 1).Min();
        // The run starts before the faked step, so the state before it is the verifier's own replay, never opened.
        var steps = Enumerable.Range(faked - 1, 2).ToArray();
        var request = _job.Answer(trajectory, start, steps, chained: true);
        Assert.Null(request.Leaves.Single(l => l.Leaf == faked - 1).State);

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(trajectory.FakedSteps.Where(s => s >= faked - 1).Min(), verdict.Step);
        Assert.NotNull(verdict.ClaimSignature);
    }
}

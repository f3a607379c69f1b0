using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;
using Gensyn.Tests.Verification;

namespace Gensyn.Tests.Security;

/// <summary>
/// Chained openings: a bit-for-bit spot-check replays consecutive challenged steps as one run, so the worker opens in
/// full only the state before each run. What the worker may leave out is exactly what the verifier computes and checks
/// itself: any other state left out is refused, a cross-class check and a possession proof still need every state,
/// and a step faked anywhere in a run is still caught with the worker's signed claim.
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

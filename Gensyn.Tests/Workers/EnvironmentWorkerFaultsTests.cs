using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;

namespace Gensyn.Tests.Workers;

/// <summary>How a `gensyn worker` reads the attack an operator rehearses from its environment.</summary>
public sealed class EnvironmentWorkerFaultsTests
{
    private static Func<string, string?> Environment(string? behavior, string? fraction = null) => name => name switch
    {
        EnvironmentWorkerFaults.BehaviorVariable => behavior,
        EnvironmentWorkerFaults.FakeFractionVariable => fraction,
        _ => null,
    };

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("honest")]
    public void Without_a_behaviour_the_worker_runs_the_production_code_alone(string? behavior) =>
        Assert.Null(EnvironmentWorkerFaults.FromEnvironment(Environment(behavior)));

    [Fact]
    public void A_lazy_worker_fakes_the_given_fraction_and_still_answers_challenges()
    {
        var faults = Assert.IsType<EnvironmentWorkerFaults>(
            EnvironmentWorkerFaults.FromEnvironment(Environment("lazy", "0.5")));
        Assert.Equal((WorkerBehavior.Lazy, 0.5), (faults.Behavior, faults.FakeFraction));
        Assert.True(faults.AnswersChallenges);
        Assert.NotNull(faults.SkippedBatches);
        Assert.Contains("cheats", faults.Description);
    }

    [Fact]
    public async Task A_refuser_answers_no_challenge_and_a_staller_holds_its_shard_until_cancelled()
    {
        Assert.False(EnvironmentWorkerFaults.FromEnvironment(Environment("refuser"))!.AnswersChallenges);
        var staller = EnvironmentWorkerFaults.FromEnvironment(Environment("stall"))!;
        var shard = new ShardAssignment((JobId)"job", 0, 0, 0, Gensyn.Contracts.Jobs.SpecRef.Of(""), "", default, 0, ActorRefs.Nobody, ActorRefs.Nobody);
        var warnings = new List<string>();
        using var cancel = new CancellationTokenSource();
        var held = staller.BeforeTrainingAsync(shard, warnings.Add, cancel.Token);
        Assert.False(held.IsCompleted);
        Assert.Single(warnings);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
    }

    [Theory]
    [InlineData("sneaky", null, "unknown worker behavior 'sneaky'")]
    [InlineData("lazy", "1.5", "GENSYN_WORKER_FAKE_FRACTION: must be a number from 0 to 1, got '1.5'")]
    [InlineData("noisy", "a lot", "GENSYN_WORKER_FAKE_FRACTION: must be a number from 0 to 1, got 'a lot'")]
    public void A_bad_value_is_refused_at_start_with_what_was_wrong(string behavior, string? fraction, string error) =>
        Assert.Contains(error, Assert.Throws<ArgumentException>(
            () => EnvironmentWorkerFaults.FromEnvironment(Environment(behavior, fraction))).Message);
}

using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Workers;

/// <summary>How a `gensyn worker` reads the attack an operator rehearses from its environment.</summary>
public sealed class EnvironmentWorkerFaultsTests
{
    private static Func<string, string?> Environment(string? behavior, string? fraction = null,
                                                     string? honestResults = null, string? cheatingResults = null) =>
        name => name switch
    {
        EnvironmentWorkerFaults.BehaviorVariable => behavior,
        EnvironmentWorkerFaults.FakeFractionVariable => fraction,
        EnvironmentWorkerFaults.HonestResultsVariable => honestResults,
        EnvironmentWorkerFaults.CheatingResultsVariable => cheatingResults,
        _ => null,
    };

    private static ShardAssignment Shard(int round, int shard = 0) =>
        new((JobId)"job", round, shard, 0, SpecRef.Of(""), "", default, 0, ActorRefs.Nobody, ActorRefs.Nobody);

    /// <summary>Takes shard <paramref name="round"/> as the worker does before it trains it.</summary>
    private static Task Take(IWorkerFaults faults, int round, List<string>? warnings = null) =>
        faults.BeforeTrainingAsync(Shard(round), (warnings ?? []).Add, CancellationToken.None);

    private sealed class NoObserver : IShardObserver
    {
        public void OnStep(int localStep, float loss)
        {
        }

        public void OnCheckpoint(ShardCheckpoint checkpoint)
        {
        }
    }

    private sealed class FixedRoot(Sha256Digest root) : IReplicaRootSource
    {
        public Task<Sha256Digest?> RootOfAsync(ShardAssignment assignment, CancellationToken token) =>
            Task.FromResult<Sha256Digest?>(root);
    }

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

    [Fact]
    public async Task A_sleeper_trains_its_first_n_shards_honestly_and_fakes_steps_from_the_next_one_on()
    {
        using var directory = new TempDirectory();
        var spec = TestSpecs.Synthetic(innerSteps: 8, rounds: 4);
        var data = DatasetLoader.Load(spec, directory.Path);
        var session = new TrainingSession(spec, data);
        var faults = Assert.IsType<EnvironmentWorkerFaults>(
            EnvironmentWorkerFaults.FromEnvironment(Environment("lazy", honestResults: "2")));
        Assert.Equal(2, faults.HonestResults);
        Assert.Contains("after 2 honest result(s)", faults.Description);

        var faked = new List<int>();
        var warnings = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            await Take(faults, round, warnings);
            var task = ShardTask.For(spec, round, 0, data.Train.Count);
            var start = session.InitialState.WithStep((long)round * spec.InnerSteps);
            faked.Add(faults.Train(session, task, start, new NoObserver(), null, CancellationToken.None)
                .FakedSteps.Count);
        }

        Assert.Equal([0, 0, 2], faked);   // round(0.25 · 8) faked steps on the third shard
        Assert.Contains("cheating from job round 2 shard 0 on", Assert.Single(warnings));
    }

    [Fact]
    public async Task A_sleeper_refuser_answers_challenges_until_it_takes_its_first_dishonest_shard()
    {
        var faults = EnvironmentWorkerFaults.FromEnvironment(Environment("refuser", honestResults: "1"))!;
        Assert.True(faults.AnswersChallenges);
        await Take(faults, 1);
        Assert.True(faults.AnswersChallenges);
        await Take(faults, 2);
        Assert.False(faults.AnswersChallenges);
    }

    [Fact]
    public async Task A_sleeper_skips_inference_batches_and_copies_roots_only_once_its_honest_results_are_given()
    {
        var lazy = EnvironmentWorkerFaults.FromEnvironment(Environment("lazy", honestResults: "1"))!;
        await Take(lazy, 1);
        Assert.Null(lazy.SkippedBatches);
        await Take(lazy, 2);
        Assert.NotNull(lazy.SkippedBatches);

        var copied = Sha256Digest.Of([1, 2, 3]);
        var own = Sha256Digest.Of([4, 5, 6]);
        var copycat = EnvironmentWorkerFaults.FromEnvironment(
            Environment("copycat", honestResults: "1"), new FixedRoot(copied))!;
        await Take(copycat, 1);
        Assert.Equal(own, await copycat.ReplicaRootAsync(Shard(1), own, CancellationToken.None));
        await Take(copycat, 2);
        Assert.Equal(copied, await copycat.ReplicaRootAsync(Shard(2), own, CancellationToken.None));
    }

    [Theory]
    [InlineData("lazy", null, "0")]
    [InlineData("refuser", null, null)]
    public void Without_honest_results_a_cheater_cheats_from_its_first_shard(string behavior, string? fraction,
                                                                            string? honestResults)
    {
        var faults = Assert.IsType<EnvironmentWorkerFaults>(
            EnvironmentWorkerFaults.FromEnvironment(Environment(behavior, fraction, honestResults)));
        Assert.True(faults.Cheating);
        Assert.DoesNotContain("honest result", faults.Description);
    }

    [Fact]
    public async Task A_worker_told_to_cheat_on_one_result_cheats_on_the_shard_after_its_honest_ones_only()
    {
        var faults = Assert.IsType<EnvironmentWorkerFaults>(
            EnvironmentWorkerFaults.FromEnvironment(Environment("lazy", honestResults: "1", cheatingResults: "1")));
        Assert.Contains("on 1 result(s) only", faults.Description);
        var cheating = new List<bool>();
        for (var round = 0; round < 4; round++)
        {
            await Take(faults, round);
            cheating.Add(faults.Cheating);
        }
        Assert.Equal([false, true, false, false], cheating);
        var error = Assert.Throws<ArgumentException>(
            () => EnvironmentWorkerFaults.FromEnvironment(Environment("lazy", cheatingResults: "once")));
        Assert.Contains("GENSYN_WORKER_CHEATING_RESULTS: must be a whole number of results, 0 or more, got 'once'",
            error.Message);
    }

    [Theory]
    [InlineData("lazy", "-1", "got '-1'")]
    [InlineData("stale", "two", "got 'two'")]
    public void A_bad_honest_result_count_is_refused_at_start(string behavior, string honestResults, string got)
    {
        var error = Assert.Throws<ArgumentException>(
            () => EnvironmentWorkerFaults.FromEnvironment(Environment(behavior, honestResults: honestResults)));
        Assert.Contains("GENSYN_WORKER_HONEST_RESULTS: must be a whole number of results, 0 or more, " + got,
            error.Message);
    }

    [Theory]
    [InlineData("sneaky", null, "unknown worker behavior 'sneaky'")]
    [InlineData("lazy", "1.5", "GENSYN_WORKER_FAKE_FRACTION: must be a number from 0 to 1, got '1.5'")]
    [InlineData("noisy", "a lot", "GENSYN_WORKER_FAKE_FRACTION: must be a number from 0 to 1, got 'a lot'")]
    public void A_bad_value_is_refused_at_start_with_what_was_wrong(string behavior, string? fraction, string error) =>
        Assert.Contains(error, Assert.Throws<ArgumentException>(
            () => EnvironmentWorkerFaults.FromEnvironment(Environment(behavior, fraction))).Message);
}

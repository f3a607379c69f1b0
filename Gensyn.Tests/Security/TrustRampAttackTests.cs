using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Security;

/// <summary>
/// Issue 17, "trust is earned, so cheaters are caught early" and "no step escapes the draw". Before: a new key was
/// challenged on the spec's k (2 of 100 steps for examples/mnist-mlp.yaml, so a key faking 25% of its steps passed
/// 56% of the time), and the steps were drawn at random, so a worker faking only its last step (the end state it
/// delivers) passed 98% of the time. Now a key with no accepted results is checked on
/// <c>gensyn.verification.new-key-samples</c> (16) steps, and a training shard's first and last steps always.
/// </summary>
public sealed class TrustRampAttackTests
{
    private const string Class = "cpu-x64-libtorch2.10-t1";
    private const string Cheater = "0xc4ea700000000000000000000000000000000001";
    private const int H = 100, SpecK = 2, NewKey = VerificationPolicy.DefaultNewKeySamples;
    private static readonly Sha256Digest Start = Sha256Digest.Of("start"u8.ToArray());

    private static ShardOrder Order(int samples = SpecK, JobKind kind = JobKind.Train) => new((JobId)"job-ramp",
        0, 0, SpecRef.Of("name: spec\n"), "/data", Start, 10, InnerSteps: H, Samples: samples, Class, Exclusion.None, Kind: kind);

    private static ShardResult Result(int i) => new((JobId)"job-ramp", 0, 0, 1, (WorkerId)"w1", Sha256Digest.Of([(byte)i, 1]),
        Sha256Digest.Of([(byte)(i % 256), (byte)(i / 256)]), [0.5f], "0x");

    private static WorkerEntry<string> Worker(string id) =>
        new((WorkerId)id, "ref-" + id, "cpu", 16, 1, Class, 0.2, Cheater, 100);

    /// <summary>
    /// The attempt a shard makes of the grant to the key's worker, as the Scheduler grants it. The grant names another
    /// numeric class than the job's, so the challenge is the draw as made: a same-class check also replays the one-step
    /// gaps between drawn steps (<c>ShardAttemptTests</c>), which would hide the ramp's k in these counts.
    /// </summary>
    private static ShardAttempt Granted(WorkerEntry<string> w) => ShardAttempt.Of(new WorkerGranted(w.WorkerId,
        ActorRefs.Nobody, 1, Class + "-other", w.Address, w.HonestStreak, w.Accepted)).Confirm(1);

    private static IReadOnlyList<int> Challenged(ShardAttempt attempt, int i, ShardOrder? order = null) =>
        attempt.Challenged(order ?? Order(), Result(i), ChallengeSampler.NewSecret(), NewKey).Challenge!.Steps;

    [Fact]
    public void A_new_key_that_cheats_on_its_first_result_is_checked_on_sixteen_steps_and_both_ends()
    {
        var scheduler = new SchedulerState<string>();
        var first = Granted(scheduler.Register(Worker("cheat-1")));

        var steps = Challenged(first, 0);

        Assert.Equal(NewKey + 2, steps.Count);
        Assert.Contains(1, steps);
        Assert.Contains(H, steps);
    }

    [Fact]
    public void The_ramp_falls_to_the_specs_k_only_as_the_keys_accepted_results_accumulate()
    {
        var scheduler = new SchedulerState<string>();
        var worker = scheduler.Register(Worker("patient"));
        var counts = new List<int>();
        for (var n = 0; n < 50; n++)
        {
            counts.Add(Challenged(Granted(worker), n).Count - 2);
            scheduler.Judged((WorkerId)"patient", accepted: true, Cheater);
        }

        Assert.Equal(Enumerable.Repeat(16, 10).Concat(Enumerable.Repeat(8, 10)).Concat(Enumerable.Repeat(4, 10))
            .Concat(Enumerable.Repeat(2, 10)).Concat(Enumerable.Repeat(1, 10)), counts);
    }

    [Fact]
    public void A_key_with_a_record_is_new_again_after_the_coordinator_restarts_so_a_restart_never_lowers_k()
    {
        var before = new SchedulerState<string>();
        var veteran = before.Register(Worker("veteran"));
        for (var i = 0; i < 60; i++) before.Judged((WorkerId)"veteran", accepted: true, Cheater);
        Assert.Equal(1 + 2, Challenged(Granted(veteran), 0).Count);

        // The records live in the scheduler's memory: a restarted coordinator starts from an empty one.
        var after = new SchedulerState<string>();
        Assert.Equal(NewKey + 2, Challenged(Granted(after.Register(Worker("veteran"))), 1).Count);
    }

    [Fact]
    public void A_cheater_faking_only_the_last_step_or_only_the_first_is_always_caught()
    {
        var scheduler = new SchedulerState<string>();
        var worker = scheduler.Register(Worker("trusted"));
        for (var i = 0; i < 1000; i++) scheduler.Judged((WorkerId)"trusted", accepted: true, Cheater);
        var trusted = Granted(worker);   // k is down to 1: the fewest steps any key is ever checked on
        var resumed = trusted.Confirm(2, resumedAt: 40);

        for (var i = 0; i < 500; i++)
        {
            var steps = Challenged(trusted, i);
            Assert.Contains(H, steps);
            Assert.Contains(1, steps);
            var afterResume = Challenged(resumed, i);
            Assert.Contains(H, afterResume);
            Assert.Contains(41, afterResume);   // the first step this worker ran itself
        }
    }

    [Fact]
    public void An_inference_shard_is_drawn_as_before_without_the_forced_ends_but_with_the_ramp()
    {
        var scheduler = new SchedulerState<string>();
        var attempt = Granted(scheduler.Register(Worker("new")));

        Assert.Equal(NewKey, Challenged(attempt, 0, Order(kind: JobKind.Inference)).Count);
    }

    [Theory]
    [InlineData(VerdictOutcome.Fraud)]
    [InlineData(VerdictOutcome.Invalid)]
    [InlineData(VerdictOutcome.Unavailable)]
    public void A_result_is_aggregated_only_after_its_verdict_accepted_it(VerdictOutcome outcome)
    {
        // Round 0 of two shards: the honest worker's shard 1 is accepted, the cheater's first result (shard 0) is not.
        var job = JobWith(new ShardAssigned(0, 0, 1, (WorkerId)"cheat-1", T0), new ShardAssigned(0, 1, 1, (WorkerId)"honest", T0));
        var accepted = job.State.Decide(Judged(1, "honest", VerdictOutcome.Accepted), Rules, T0);
        Assert.Contains(accepted.Events, e => e is ShardCompleted);
        foreach (var e in accepted.Events) job = job.Apply(e);
        Assert.Equal(NextStep.RunShards, job.State.Next());

        var rejected = job.State.Decide(Judged(0, "cheat-1", outcome), Rules, T0);
        Assert.DoesNotContain(rejected.Events, e => e is ShardCompleted);
        foreach (var e in rejected.Events) job = job.Apply(e);

        Assert.False(job.State.Shards[0].Done);
        Assert.NotEqual(NextStep.Aggregate, job.State.Next());
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly JobRules Rules = new(MaxShardFailures: 3);
    private static Sha256Digest D(string text) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(text));

    private static JobProjection JobWith(params IJobEvent[] events)
    {
        var yaml = TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8);
        var job = new JobProjection()
            .Apply(new JobSubmitted((JobId)"job-ramp", yaml, Directory.GetCurrentDirectory(), T0))
            .Apply(new RoundStarted(0, D("global-0"), [D("start-0-0"), D("start-0-1")], [1000, 1001], T0));
        foreach (var e in events) job = job.Apply(e);
        return job;
    }

    private static ShardActor.Judged Judged(int shard, string worker, VerdictOutcome outcome)
    {
        var result = new ShardResult((JobId)"job-ramp", 0, shard, 1, (WorkerId)worker, D($"end-{shard}"), D($"root-{shard}"),
            Enumerable.Repeat(0.5f, 8).ToList(), "0x");
        return new(result, new ShardVerdict((JobId)"job-ramp", 0, shard, 1, (WorkerId)worker, outcome, $"{outcome}"), "0xabc", [1, 8],
            "00ff");
    }
}

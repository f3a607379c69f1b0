using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Judged = Gensyn.Actors.Shards.ShardActor.Judged;
using Sealed = Gensyn.Actors.Shards.ShardActor.Sealed;

namespace Gensyn.Tests.Jobs;

/// <summary>Verdicts in a job's state: match rates, exclusions, payment of rounds, the status view and snapshots.</summary>
public class JobStateVerificationTests
{
    private const string JobId = "job-0123abcd";
    private const int InnerSteps = 8;
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly string Yaml = TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: InnerSteps);
    private static readonly IReadOnlyDictionary<int, (int Step, float Loss)> None = new Dictionary<int, (int Step, float Loss)>();

    private static Sha256Digest D(string text) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(text));

    private static JobSubmitted Submitted() => new((JobId)JobId, Yaml, Directory.GetCurrentDirectory(), T0);

    private static RoundStarted Started(int round) =>
        new(round, D($"global-{round}"), [D($"start-{round}-0"), D($"start-{round}-1")], [1000, 1001], T0.AddMinutes(round * 10 + 1));

    private static ShardAssigned Assigned(int round, int shard, int epoch, string worker) => new(round, shard, epoch, (WorkerId)worker, T0);

    private static ShardCompleted Completed(int round, int shard, int epoch, string worker) =>
        new(round, shard, epoch, (WorkerId)worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}"), 0.5 + shard, T0.AddMinutes(round * 10 + 2));

    private static RoundCompleted RoundDone(int round) =>
        new(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.75, T0.AddMinutes(round * 10 + 3));

    private static ShardVerified Verified(int round, int shard, int epoch, string worker, VerdictOutcome outcome, int challenged = 3,
                                          double train = 2.0, double verify = 0.25)
    {
        var fraud = outcome == VerdictOutcome.Fraud;
        return new ShardVerified(round, shard, epoch, (WorkerId)worker, "0x1111111111111111111111111111111111111111", outcome, $"{outcome} because of test",
            D($"root-{round}-{shard}"), "0xresult", Enumerable.Range(1, challenged).ToList(), "00ff", fraud ? 2 : null,
            fraud ? D("expected") : null, fraud ? D("claimed") : null, fraud ? "0xclaim" : null, null, train, verify, T0.AddMinutes(round * 10 + 2));
    }

    private static JobProjection With(params IJobEvent[] events)
    {
        var state = new JobProjection();
        foreach (var e in events) state = state.Apply(e);
        return state;
    }

    /// <summary>Round 0 open, shard 0 assigned to worker-1 (epoch 1) with a checkpoint at step 4, shard 1 to worker-2.</summary>
    private static JobProjection Running() => With(Submitted(), Started(0), Assigned(0, 0, 1, "worker-1"), Assigned(0, 1, 1, "worker-2"),
        new ShardCheckpointSaved(0, 0, 1, (WorkerId)"worker-1", 4, D("checkpoint-0-0"), T0));

    [Fact]
    public void A_replica_s_seal_is_journaled_for_its_live_assignment_only_and_changes_no_domain_state()
    {
        var state = Running().State;
        var rules = new JobRules();

        var decision = state.Decide(new Sealed(0, 0, 1, 1, (WorkerId)"worker-1", D("seal")), rules, T0);
        var sealedResult = Assert.IsType<ReplicaSealed>(Assert.Single(decision.Events));
        Assert.Equal((0, 0, 1, 1, "worker-1", D("seal")),
            (sealedResult.Round, sealedResult.Shard, sealedResult.Epoch, sealedResult.Replica, sealedResult.WorkerId,
                sealedResult.Seal));
        Assert.Equal(state, state.Apply(sealedResult));
        Assert.Contains(With(Submitted(), Started(0), Assigned(0, 0, 1, "worker-1"), sealedResult).Log,
            line => line.Text == "round 0 shard 0 replica 1: worker worker-1 sealed its result (epoch 1)");

        // Another worker's, an ended epoch's or another round's seal is not journaled.
        Assert.Empty(state.Decide(new Sealed(0, 0, 1, 1, (WorkerId)"worker-2", D("seal")), rules, T0).Events);
        Assert.Empty(state.Decide(new Sealed(0, 0, 1, 2, (WorkerId)"worker-1", D("seal")), rules, T0).Events);
        Assert.Empty(state.Decide(new Sealed(1, 0, 1, 1, (WorkerId)"worker-1", D("seal")), rules, T0).Events);
    }

    [Fact]
    public void A_verdict_names_the_verifier_that_judged_it_in_its_journaled_event()
    {
        var state = Running().State;
        var result = new ShardResult((JobId)JobId, 0, 0, 1, (WorkerId)"worker-1", D("end-0-0"), D("root-0-0"),
            Enumerable.Repeat(0.5f, InnerSteps).ToArray(), "0xresult");
        var verdict = new ShardVerdict((JobId)JobId, 0, 0, 1, (WorkerId)"worker-1", VerdictOutcome.Accepted, "replayed",
            VerifierId: "10.0.0.7:4053");

        var decision = state.Decide(new Judged(result, verdict, "0x1", [1], "00"), new JobRules(), T0);

        Assert.Equal("10.0.0.7:4053", Assert.Single(decision.Events.OfType<ShardVerified>()).VerifierId);
    }

    [Fact]
    public void An_accepted_verdict_for_a_worker_excluded_while_it_was_verified_does_not_count_and_frees_the_shard()
    {
        // Workers are freed for their next shard at their commit: worker-1 holds both shards, and its first result is
        // found fraudulent while its second one is verified.
        var projection = With(Submitted(), Started(0), Assigned(0, 0, 1, "worker-1"), Assigned(0, 1, 1, "worker-1"))
            .Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Fraud));
        var state = projection.State;
        var result = new ShardResult((JobId)JobId, 0, 1, 1, (WorkerId)"worker-1", D("end-0-1"), D("root-0-1"),
            Enumerable.Repeat(0.5f, InnerSteps).ToArray(), "0xresult");
        var verdict = new ShardVerdict((JobId)JobId, 0, 1, 1, (WorkerId)"worker-1", VerdictOutcome.Accepted,
            "replayed");

        const string Address = "0x1111111111111111111111111111111111111111";
        var decision = state.Decide(new Judged(result, verdict, Address, [1], "00"), new JobRules(), T0);

        var released = Assert.IsType<ShardReleased>(Assert.Single(decision.Events));
        Assert.Equal((0, 1, 1, "worker-1", false),
            (released.Round, released.Shard, released.Epoch, released.WorkerId.ToString(), released.CountsAsFailure));
        Assert.Contains("excluded from the job", released.Reason);
        var rejected = Assert.IsType<Gensyn.Actors.Shards.ShardActor.Rejected>(Assert.Single(decision.Replies));
        Assert.Contains((WorkerId)"worker-1", rejected.Excluded.Workers);
        var after = state.Apply(released);
        Assert.False(after.Shards[1].Done);
        Assert.Null(after.Shards[1].WorkerId);
        Assert.Equal(state.RoundAccepted, after.RoundAccepted);
    }

    [Fact]
    public void An_accepted_verdict_counts_for_the_round_and_the_job_and_leaves_the_shard_alone()
    {
        var state = Running();

        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Accepted));

        Assert.Equal((1, 0, 1, 0), (state.State.RoundAccepted, state.State.RoundRejected, state.State.JobAccepted, state.State.JobRejected));
        Assert.Empty(state.State.ExcludedWorkers);
        Assert.Equal("worker-1", state.State.Shards[0].WorkerId);
        Assert.Empty(state.State.Shards[0].FailedWorkers);
        Assert.Equal(D("checkpoint-0-0"), state.State.Shards[0].Checkpoint);
        Assert.Equal(4, state.State.Shards[0].CheckpointStep);
        Assert.Equal(new VerdictView(0, 0, 1, "worker-1", VerdictOutcome.Accepted, "Accepted because of test", 3), Assert.Single(state.Verdicts));
        Assert.Equal(1.0, state.State.MatchRate);
        Assert.Contains("round 0 shard 0 verified: worker worker-1's result accepted", state.Log[^1].Text);
    }

    [Theory]
    [InlineData(VerdictOutcome.Fraud)]
    [InlineData(VerdictOutcome.Invalid)]
    [InlineData(VerdictOutcome.Unavailable)]
    public void A_rejected_verdict_excludes_the_worker_and_sends_the_shard_back_from_the_rounds_start(VerdictOutcome outcome)
    {
        var state = Running();

        state = state.Apply(Verified(0, 0, 1, "worker-1", outcome));

        Assert.Equal((0, 1, 0, 1), (state.State.RoundAccepted, state.State.RoundRejected, state.State.JobAccepted, state.State.JobRejected));
        Assert.Equal(["worker-1"], state.State.ExcludedWorkers.Select(id => id.Value));
        Assert.Equal(["worker-1"], state.State.Shards[0].FailedWorkers.Select(id => id.Value));
        Assert.Null(state.State.Shards[0].WorkerId);
        Assert.Null(state.State.Shards[0].Checkpoint);
        Assert.Equal(0, state.State.Shards[0].CheckpointStep);
        Assert.False(state.State.Shards[0].Done);
        // The other shard is untouched.
        Assert.Equal("worker-2", state.State.Shards[1].WorkerId);
        Assert.Empty(state.State.Shards[1].FailedWorkers);
        Assert.Equal(outcome, Assert.Single(state.Verdicts).Outcome);
        Assert.Equal(NextStep.RunShards, state.State.Next());
        Assert.Contains($"REJECTED ({outcome.ToString().ToLowerInvariant()})", state.Log[^1].Text);
    }

    [Fact]
    public void A_rejection_of_a_worker_the_shard_has_already_moved_on_from_keeps_the_current_worker()
    {
        var state = Running();
        state = state.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "deadline missed", T0));
        state = state.Apply(Assigned(0, 0, 2, "worker-3"));

        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Fraud));

        Assert.Equal("worker-3", state.State.Shards[0].WorkerId);
        Assert.Contains((WorkerId)"worker-1", state.State.ExcludedWorkers);
        Assert.DoesNotContain((WorkerId)"worker-3", state.State.ExcludedWorkers);
    }

    [Fact]
    public void Train_and_verify_seconds_add_up_over_verdicts()
    {
        var state = Running();

        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Accepted, train: 2.0, verify: 0.25));
        state = state.Apply(Verified(0, 1, 1, "worker-2", VerdictOutcome.Fraud, train: 3.0, verify: 0.5));

        Assert.Equal(5.0, state.TrainSeconds);
        Assert.Equal(0.75, state.VerifySeconds);
        var view = state.View(None);
        Assert.Equal(5.0, view.TrainSeconds);
        Assert.Equal(0.75, view.VerifySeconds);
    }

    /// <summary>Round 0 with <paramref name="accepted"/> accepted and <paramref name="rejected"/> rejected verdicts, both shards done and aggregated.
    /// The rejections leave challenges unanswered, which convicts no key: each counts against the round (a convicted key's verdicts
    /// would not: RoundPaymentTests).</summary>
    private static JobProjection RoundWith(int accepted, int rejected)
    {
        var state = With(Submitted(), Started(0), Assigned(0, 0, 1, "worker-1"), Assigned(0, 1, 1, "worker-2"));
        for (var i = 0; i < rejected; i++) state = state.Apply(Verified(0, 0, 1, $"cheat-{i}", VerdictOutcome.Unavailable));
        for (var i = 0; i < accepted; i++) state = state.Apply(Verified(0, i % 2, 1, $"worker-{i % 2 + 1}", VerdictOutcome.Accepted));
        state = state.Apply(Completed(0, 0, 1, "worker-1"));
        state = state.Apply(Completed(0, 1, 1, "worker-2"));
        state = state.Apply(RoundDone(0));
        return state;
    }

    [Theory]
    [InlineData(2, 0, 1.0, true)]
    [InlineData(19, 1, 0.95, true)]
    [InlineData(18, 2, 0.9, false)]
    [InlineData(2, 2, 0.5, false)]
    [InlineData(0, 0, 1.0, true)]
    public void A_completed_round_records_its_match_rate_and_is_paid_only_at_95_percent_or_more(int accepted, int rejected, double rate, bool paid)
    {
        var state = RoundWith(accepted, rejected);

        var round = Assert.Single(state.State.History);
        Assert.Equal(rate, round.MatchRate, 12);
        Assert.Equal(paid, round.Paid);
        Assert.Equal(paid, state.View(None).RoundHistory.Single().Paid);
        if (!paid) Assert.Contains("the round is not paid", state.Log[^1].Text);
        else Assert.DoesNotContain("not paid", state.Log[^1].Text);
    }

    [Fact]
    public void A_new_round_resets_the_rounds_counts_but_not_the_jobs()
    {
        var state = RoundWith(accepted: 3, rejected: 1);

        state = state.Apply(Started(1));

        Assert.Equal((0, 0), (state.State.RoundAccepted, state.State.RoundRejected));
        Assert.Equal(1.0, state.State.RoundMatchRate);
        Assert.Equal((3, 1), (state.State.JobAccepted, state.State.JobRejected));
        Assert.Equal(0.75, state.State.MatchRate);
        // Exclusion is for the whole job; a shard's failures are per round.
        Assert.Contains((WorkerId)"cheat-0", state.State.ExcludedWorkers);
        Assert.All(state.State.Shards, s => Assert.Empty(s.FailedWorkers));
        Assert.Equal(4, state.Verdicts.Count);

        state = state.Apply(Assigned(1, 0, 1, "worker-1"));
        state = state.Apply(Verified(1, 0, 1, "worker-1", VerdictOutcome.Accepted));
        Assert.Equal((1, 0, 4, 1), (state.State.RoundAccepted, state.State.RoundRejected, state.State.JobAccepted, state.State.JobRejected));
    }

    [Fact]
    public void The_jobs_match_rate_is_accepted_over_judged_results_and_one_before_any_verdict()
    {
        var state = Running();
        Assert.Equal(1.0, state.State.MatchRate);
        Assert.Equal(1.0, state.View(None).MatchRate);

        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Accepted));
        state = state.Apply(Verified(0, 1, 1, "worker-2", VerdictOutcome.Accepted));
        state = state.Apply(Verified(0, 1, 1, "worker-2", VerdictOutcome.Accepted));
        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Invalid));

        Assert.Equal(0.75, state.State.MatchRate);
        Assert.Equal(0.75, state.State.RoundMatchRate);
        Assert.Equal(0.75, state.View(None).MatchRate);
    }

    [Fact]
    public void The_view_shows_a_shard_being_verified_as_verifying()
    {
        var state = Running();
        state = state.Apply(Completed(0, 1, 1, "worker-2"));

        var view = state.View(None, new HashSet<int> { 0, 1 });

        Assert.Equal("verifying", view.Shards[0].State);
        Assert.Equal("worker-1", view.Shards[0].WorkerId);
        Assert.Equal("done", view.Shards[1].State);
        Assert.Equal("running", state.View(None, new HashSet<int>()).Shards[0].State);
        Assert.Equal("running", state.View(None).Shards[0].State);
    }

    [Fact]
    public void A_shard_without_a_worker_is_waiting_even_when_listed_as_verifying()
    {
        var state = Running();
        state = state.Apply(Verified(0, 0, 1, "worker-1", VerdictOutcome.Fraud));

        Assert.Equal("waiting", state.View(None, new HashSet<int> { 0 }).Shards[0].State);
    }

    [Fact]
    public void The_view_lists_the_verdicts_latest_last_and_at_most_fifty()
    {
        var state = Running();
        for (var i = 0; i < 60; i++) state = state.Apply(Verified(0, i % 2, i, $"worker-{i}", i % 3 == 0 ? VerdictOutcome.Fraud : VerdictOutcome.Accepted));

        var verdicts = state.View(None).Verdicts!;

        Assert.Equal(60, state.Verdicts.Count);
        Assert.Equal(50, verdicts.Count);
        Assert.Equal(Enumerable.Range(10, 50), verdicts.Select(v => v.Epoch));
        Assert.Equal(state.Verdicts.Skip(10), verdicts);
    }

    [Fact]
    public void A_snapshot_round_trips_the_verification_state()
    {
        var state = RoundWith(accepted: 5, rejected: 1);
        state = state.Apply(Started(1));
        state = state.Apply(Assigned(1, 0, 1, "worker-1"));
        state = state.Apply(new ShardCheckpointSaved(1, 0, 1, (WorkerId)"worker-1", 4, D("checkpoint-1-0"), T0));
        state = state.Apply(Assigned(1, 1, 1, "worker-2"));
        state = state.Apply(Verified(1, 1, 1, "worker-2", VerdictOutcome.Fraud, train: 1.5, verify: 0.125));
        state = state.Apply(Verified(1, 0, 1, "worker-1", VerdictOutcome.Accepted, train: 2.5, verify: 0.375));

        var restored = JobState.FromSnapshot(state.State.ToSnapshot());

        Assert.Equal((state.State.RoundAccepted, state.State.RoundRejected, state.State.JobAccepted, state.State.JobRejected),
            (restored.RoundAccepted, restored.RoundRejected, restored.JobAccepted, restored.JobRejected));
        Assert.Equal((1, 1, 6, 2), (restored.RoundAccepted, restored.RoundRejected, restored.JobAccepted, restored.JobRejected));
        Assert.Equal(state.State.MatchRate, restored.MatchRate);
        Assert.Equal(state.State.RoundMatchRate, restored.RoundMatchRate);
        Assert.Equal(state.State.ExcludedWorkers.Order(), restored.ExcludedWorkers.Order());
        Assert.Equal(["cheat-0", "worker-2"], restored.ExcludedWorkers.Order().Select(id => id.Value));
        Assert.Equal(state.State.History.Select(h => (h.Round, h.MatchRate, h.Paid)), restored.History.Select(h => (h.Round, h.MatchRate, h.Paid)));
        Assert.Equal(state.State.Shards.Select(s => (s.WorkerId, s.Checkpoint, s.CheckpointStep, string.Join(",", s.FailedWorkers.Order()))),
            restored.Shards.Select(s => (s.WorkerId, s.Checkpoint, s.CheckpointStep, string.Join(",", s.FailedWorkers.Order()))));
        Assert.Equal(["worker-2"], restored.Shards[1].FailedWorkers.Select(id => id.Value));
        Assert.Null(restored.Shards[1].WorkerId);

        // Events after the snapshot fold in the same way on both.
        IJobEvent[] later = [Verified(1, 0, 1, "worker-1", VerdictOutcome.Invalid), Started(2)];
        var replayed = later.Aggregate(state.State, (s, e) => s.Apply(e));
        restored = later.Aggregate(restored, (s, e) => s.Apply(e));
        Assert.Equal((replayed.RoundAccepted, replayed.RoundRejected, replayed.JobAccepted, replayed.JobRejected),
            (restored.RoundAccepted, restored.RoundRejected, restored.JobAccepted, restored.JobRejected));
        Assert.Equal((0, 0, 6, 3), (restored.RoundAccepted, restored.RoundRejected, restored.JobAccepted, restored.JobRejected));
        Assert.Equal(replayed.ExcludedWorkers.Order(), restored.ExcludedWorkers.Order());
    }

    [Fact]
    public void A_snapshot_from_before_verification_restores_with_no_verdicts()
    {
        var snapshot = LegacyJobSnapshot.Of(With(Submitted(), Started(0), Assigned(0, 0, 1, "worker-1"))) with { Verification = null };

        var restored = JobState.FromSnapshot(snapshot);

        Assert.Equal((0, 0, 0, 0), (restored.RoundAccepted, restored.RoundRejected, restored.JobAccepted, restored.JobRejected));
        Assert.Empty(restored.ExcludedWorkers);
        Assert.Equal(1.0, restored.MatchRate);
        Assert.Equal("worker-1", restored.Shards[0].WorkerId);
    }
}

using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Jobs;

/// <summary>The JobActor's rules without an actor: events folded in, next steps, result fencing, the status view.</summary>
public class JobStateTests
{
    private const string JobId = "job-0123abcd";
    private const int InnerSteps = 8;
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly string Yaml = TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: InnerSteps);
    private static readonly IReadOnlyDictionary<int, (int Step, float Loss)> None = new Dictionary<int, (int Step, float Loss)>();

    private static Sha256Digest D(string text) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(text));

    private static JobSubmitted Submitted() => new((JobId)JobId, Yaml, Directory.GetCurrentDirectory(), T0);

    private static RoundStarted Started(int round) =>
        new(round, D($"global-{round}"), [D($"start-{round}-0"), D($"start-{round}-1")], [1000, 1001], T0.AddMinutes(round * 10 + 1));

    private static ShardCompleted Completed(int round, int shard, int epoch, string worker) =>
        new(round, shard, epoch, (WorkerId)worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}"), 0.5 + shard, T0.AddMinutes(round * 10 + 2));

    private static RoundCompleted RoundDone(int round) =>
        new(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.75, T0.AddMinutes(round * 10 + 3));

    private static ShardResult Result(int round, int shard, int epoch, string worker, int losses = InnerSteps) =>
        new((JobId)JobId, round, shard, epoch, (WorkerId)worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}"), Enumerable.Repeat(0.5f, losses).ToList(), "0x");

    private static JobProjection With(params IJobEvent[] events)
    {
        var state = new JobProjection();
        foreach (var e in events) state = state.Apply(e);
        return state;
    }

    /// <summary>A job in round 0 whose shard 0 is assigned to worker-1 at epoch 1.</summary>
    private static JobProjection Assigned() => With(Submitted(), Started(0), new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0));

    [Fact]
    public void A_state_without_a_submission_does_not_exist_and_has_nothing_to_do()
    {
        var state = new JobProjection();

        Assert.False(state.State.Exists);
        Assert.Equal(NextStep.Nothing, state.State.Next());
        Assert.Equal(-1, state.State.Round);
    }

    [Fact]
    public void A_submitted_job_is_queued_with_its_parsed_spec_and_starts_a_round_next()
    {
        var state = With(Submitted());

        Assert.True(state.State.Exists);
        Assert.Equal(JobId, state.State.JobId);
        Assert.Equal("synthetic-test", state.State.Spec!.Name);
        Assert.Equal(JobPhase.Queued, state.State.Phase);
        Assert.Equal(T0, state.State.SubmittedAt);
        Assert.Equal(NextStep.StartRound, state.State.Next());
        Assert.Contains("submitted synthetic-test: 2 round(s) x 2 shard(s) x 8 step(s), seed 7", Assert.Single(state.Log).Text);
    }

    [Fact]
    public void A_started_round_is_open_running_with_one_unassigned_shard_per_start_state()
    {
        var state = With(Submitted(), Started(0));

        Assert.Equal(JobPhase.Running, state.State.Phase);
        Assert.True(state.State.RoundOpen);
        Assert.Equal(0, state.State.Round);
        Assert.Equal(D("global-0"), state.State.RoundGlobal);
        Assert.Equal([D("start-0-0"), D("start-0-1")], state.State.ShardStarts);
        Assert.Equal([1000L, 1001L], state.State.ShardStartSizes);
        Assert.Equal([0, 1], state.State.Shards.Select(s => s.Shard));
        Assert.All(state.State.Shards, s => Assert.Null(s.WorkerId));
        Assert.All(state.State.Shards, s => Assert.False(s.Done));
        Assert.Equal(NextStep.RunShards, state.State.Next());
    }

    [Fact]
    public void Each_assignment_records_its_epoch_and_worker_and_the_next_epoch_is_one_higher()
    {
        var state = With(Submitted(), Started(0));
        Assert.Equal(1, state.State.NextEpoch(0));

        state = state.Apply(new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0));
        Assert.Equal(1, state.State.Shards[0].Epoch);
        Assert.Equal("worker-1", state.State.Shards[0].WorkerId);
        Assert.Equal(2, state.State.NextEpoch(0));
        Assert.Equal(1, state.State.NextEpoch(1));

        state = state.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "the worker's process is gone", T0));
        Assert.Null(state.State.Shards[0].WorkerId);
        Assert.Equal(2, state.State.NextEpoch(0));

        state = state.Apply(new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", T0));
        Assert.Equal(2, state.State.Shards[0].Epoch);
        Assert.Equal("worker-2", state.State.Shards[0].WorkerId);
        Assert.Equal(3, state.State.NextEpoch(0));
    }

    [Fact]
    public void A_result_from_the_current_assignment_with_one_loss_per_step_is_accepted()
    {
        Assert.Null(Assigned().State.Reject(Result(0, 0, 1, "worker-1")));
    }

    [Fact]
    public void A_result_of_an_older_epoch_is_fenced_out_after_the_shard_was_reassigned()
    {
        var state = Assigned();
        state = state.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "deadline missed", T0));
        state = state.Apply(new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", T0));

        var reason = state.State.Reject(Result(0, 0, 1, "worker-1"));

        Assert.Equal("epoch 1 from worker worker-1 is fenced out (current: epoch 2, worker worker-2)", reason);
        Assert.Null(state.State.Reject(Result(0, 0, 2, "worker-2")));
    }

    [Fact]
    public void A_result_from_a_released_worker_is_fenced_out_even_at_its_own_epoch()
    {
        var state = Assigned();
        state = state.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "the worker failed", T0));

        Assert.Equal("epoch 1 from worker worker-1 is fenced out (current: no live assignment)", state.State.Reject(Result(0, 0, 1, "worker-1")));
    }

    [Fact]
    public void A_result_from_another_worker_at_the_current_epoch_is_fenced_out()
    {
        Assert.Equal("epoch 1 from worker worker-9 is fenced out (current: epoch 1, worker worker-1)",
            Assigned().State.Reject(Result(0, 0, 1, "worker-9")));
    }

    [Fact]
    public void A_result_for_a_shard_never_assigned_is_fenced_out()
    {
        Assert.Equal("epoch 0 from worker worker-1 is fenced out (current: no live assignment)",
            Assigned().State.Reject(Result(0, 1, 0, "worker-1")));
    }

    [Fact]
    public void A_second_result_for_a_completed_shard_is_rejected_as_a_duplicate()
    {
        var state = Assigned();
        state = state.Apply(Completed(0, 0, 1, "worker-1"));

        Assert.Equal("shard 0 already has a result", state.State.Reject(Result(0, 0, 1, "worker-1")));
    }

    [Fact]
    public void A_result_for_another_round_is_rejected()
    {
        Assert.Equal("round 1 is not the open round", Assigned().State.Reject(Result(1, 0, 1, "worker-1")));
    }

    [Fact]
    public void A_result_arriving_after_its_round_was_aggregated_is_rejected()
    {
        var state = Assigned();
        state = state.Apply(Completed(0, 0, 1, "worker-1"));
        state = state.Apply(new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0));
        state = state.Apply(Completed(0, 1, 1, "worker-2"));
        state = state.Apply(RoundDone(0));

        Assert.Equal("round 0 is not the open round", state.State.Reject(Result(0, 1, 1, "worker-2")));
    }

    [Fact]
    public void A_result_for_a_shard_that_does_not_exist_is_rejected()
    {
        Assert.Equal("shard 2 does not exist", Assigned().State.Reject(Result(0, 2, 1, "worker-1")));
        Assert.Equal("shard -1 does not exist", Assigned().State.Reject(Result(0, -1, 1, "worker-1")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(InnerSteps - 1)]
    [InlineData(InnerSteps + 1)]
    public void A_result_without_exactly_one_loss_per_inner_step_is_rejected(int losses)
    {
        Assert.Equal($"{losses} losses for {InnerSteps} steps", Assigned().State.Reject(Result(0, 0, 1, "worker-1", losses)));
    }

    [Fact]
    public void Results_of_a_cancelled_or_failed_job_are_rejected()
    {
        var cancelled = Assigned();
        cancelled = cancelled.Apply(new JobCancelled("cancelled by the requester", T0));
        var failed = Assigned();
        failed = failed.Apply(new JobFailed("aggregation failed", T0));

        Assert.Equal("the job is cancelled", cancelled.State.Reject(Result(0, 0, 1, "worker-1")));
        Assert.Equal("the job is failed", failed.State.Reject(Result(0, 0, 1, "worker-1")));
    }

    [Fact]
    public void When_every_shard_is_done_the_round_is_aggregated_next()
    {
        var state = Assigned();
        state = state.Apply(Completed(0, 0, 1, "worker-1"));
        Assert.Equal(NextStep.RunShards, state.State.Next());

        state = state.Apply(new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0));
        state = state.Apply(Completed(0, 1, 1, "worker-2"));

        Assert.Equal(NextStep.Aggregate, state.State.Next());
        Assert.True(state.State.Shards[1].Done);
        Assert.Equal(D("end-0-1"), state.State.Shards[1].EndState);
        Assert.Equal(D("root-0-1"), state.State.Shards[1].MerkleRoot);
        Assert.Equal(1.5, state.State.Shards[1].MeanLoss);
    }

    [Fact]
    public void A_completed_round_closes_records_its_history_and_carries_the_shard_end_states_over()
    {
        var state = With(Submitted(), Started(0),
            new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0), Completed(0, 0, 1, "worker-1"),
            new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0), Completed(0, 1, 1, "worker-2"),
            RoundDone(0));

        Assert.False(state.State.RoundOpen);
        Assert.Equal(1, state.State.CompletedRounds);
        Assert.Equal(D("global-1"), state.State.LastGlobal);
        Assert.Equal([D("end-0-0"), D("end-0-1")], state.State.LastShardEnds!);
        var round = Assert.Single(state.State.History);
        Assert.Equal(0, round.Round);
        Assert.Equal(D("global-1").ToString(), round.CheckpointHash);
        Assert.Equal(D("digest-1").ToString(), round.CheckpointDigest);
        Assert.Equal(0.75, round.MeanLoss);
        Assert.Equal([D("root-0-0").ToString(), D("root-0-1").ToString()], round.ShardRoots);
        Assert.Equal(["worker-1", "worker-2"], round.Workers);
        Assert.Equal(NextStep.StartRound, state.State.Next());
    }

    [Fact]
    public void After_the_last_round_the_job_finishes_and_then_has_nothing_to_do()
    {
        var state = FullRun();
        Assert.Equal(NextStep.Finish, state.State.Next());

        state = state.Apply(new JobCompleted(D("model"), 4096, D("final"), 0.9, 0.3, null, T0.AddHours(1)));

        Assert.Equal(JobPhase.Completed, state.State.Phase);
        Assert.True(state.State.IsTerminal);
        Assert.Equal(T0.AddHours(1), state.State.FinishedAt);
        Assert.Equal(D("final"), state.State.Result!.FinalDigest);
        Assert.Equal(NextStep.Nothing, state.State.Next());
    }

    [Fact]
    public void A_failed_job_records_its_reason_closes_its_round_and_has_nothing_to_do()
    {
        var state = Assigned();
        state = state.Apply(new JobFailed("aggregation failed: a blob is missing", T0.AddMinutes(5)));

        Assert.Equal(JobPhase.Failed, state.State.Phase);
        Assert.False(state.State.RoundOpen);
        Assert.Equal("aggregation failed: a blob is missing", state.State.Reason);
        Assert.Equal(T0.AddMinutes(5), state.State.FinishedAt);
        Assert.Equal(NextStep.Nothing, state.State.Next());
    }

    [Fact]
    public void A_cancelled_job_records_its_reason_and_has_nothing_to_do()
    {
        var state = Assigned();
        state = state.Apply(new JobCancelled("changed my mind", T0.AddMinutes(5)));

        Assert.Equal(JobPhase.Cancelled, state.State.Phase);
        Assert.False(state.State.RoundOpen);
        Assert.Equal("changed my mind", state.State.Reason);
        Assert.Equal(NextStep.Nothing, state.State.Next());
        Assert.Empty(state.View(None).Shards);
    }

    [Fact]
    public void The_view_of_an_open_round_shows_each_shard_waiting_running_with_progress_or_done()
    {
        var state = Assigned();
        state = state.Apply(new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0));
        state = state.Apply(Completed(0, 1, 1, "worker-2"));
        state = state.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "gone", T0));
        state = state.Apply(new ShardAssigned(0, 0, 2, (WorkerId)"worker-3", T0));

        var running = state.View(new Dictionary<int, (int Step, float Loss)> { [0] = (5, 0.25f) });
        var waiting = With(Submitted(), Started(0)).View(None);

        Assert.Equal(new ShardView(0, "running", "worker-3", 2, 5, InnerSteps, 0.25f), running.Shards[0]);
        Assert.Equal(new ShardView(1, "done", "worker-2", 1, InnerSteps, InnerSteps, 1.5), running.Shards[1]);
        Assert.Equal(new ShardView(0, "waiting", null, 0, 0, InnerSteps, null), waiting.Shards[0]);
        Assert.Equal(new ShardView(0, "running", "worker-3", 2, 0, InnerSteps, null), state.View(None).Shards[0]);
    }

    [Fact]
    public void The_view_of_a_completed_job_shows_its_result_and_history_and_no_open_shards()
    {
        var state = FullRun();
        state = state.Apply(new JobCompleted(D("model"), 4096, D("final"), 0.9, 0.3, 1.35, T0.AddHours(1)));

        var view = state.View(None);

        Assert.Equal(JobId, view.JobId);
        Assert.Equal("synthetic-test", view.Name);
        Assert.Equal(JobPhase.Completed, view.State);
        Assert.Equal(1, view.Round);
        Assert.Equal(2, view.Rounds);
        Assert.Equal(2, view.ShardsPerRound);
        Assert.Equal(InnerSteps, view.InnerSteps);
        Assert.Equal(T0, view.SubmittedAt);
        Assert.Equal(T0.AddHours(1), view.FinishedAt);
        Assert.Equal(D("final").ToString(), view.FinalDigest);
        Assert.Equal(0.9, view.TestAccuracy);
        Assert.Equal(0.3, view.TestLoss);
        Assert.Equal(1.35, view.TestPerplexity);
        Assert.Equal([0, 1], view.RoundHistory.Select(r => r.Round));
        Assert.Empty(view.Shards);
    }

    [Fact]
    public void The_view_of_a_queued_job_is_at_round_zero_without_shards_or_result()
    {
        var view = With(Submitted()).View(None);

        Assert.Equal(JobPhase.Queued, view.State);
        Assert.Equal(0, view.Round);
        Assert.Null(view.FinishedAt);
        Assert.Null(view.FinalDigest);
        Assert.Empty(view.RoundHistory);
        Assert.Empty(view.Shards);
    }

    [Fact]
    public void Every_event_adds_one_log_entry_numbered_in_order()
    {
        var state = FullRun();

        Assert.Equal(Enumerable.Range(0, state.Log.Count), state.Log.Select(e => e.Index));
        // submitted + 2 x (round started + 2 x (assigned + completed) + round completed)
        Assert.Equal(1 + 2 * (1 + 2 * 2 + 1), state.Log.Count);
        Assert.Equal(T0, state.Log[0].At);
    }

    [Fact]
    public void Replaying_the_same_events_rebuilds_the_same_state()
    {
        var events = FullRunEvents().Append(new JobCompleted(D("model"), 4096, D("final"), 0.9, 0.3, null, T0.AddHours(1))).ToList();

        var a = With([.. events]);
        var b = With([.. events]);

        Assert.Equal(Json(a.View(None)), Json(b.View(None)));
        Assert.Equal(a.Log, b.Log);
        Assert.Equal(a.State.LastGlobal, b.State.LastGlobal);
        Assert.Equal(a.State.LastShardEnds, b.State.LastShardEnds);
    }

    // Decide: what a command leads to, without an actor.

    private static readonly JobRules Rules = new(MaxShardFailures: 2);
    private static readonly DateTimeOffset Now = T0.AddHours(2);

    private static JobDecision Decide(JobState state, object command) => state.Decide(command, Rules, Now);

    private static ShardActor.Judged Judged(ShardResult result, VerdictOutcome outcome, string address = "0xabc") =>
        new(result, new ShardVerdict((JobId)JobId, result.Round, result.Shard, result.Epoch, result.WorkerId, outcome, $"{outcome}"),
            address, [1, 2], "00ff");

    private static ShardActor.AssignRequested Asks(int shard, string worker, string address = "") =>
        new(shard, (WorkerId)worker, ActorRefs.Nobody, address);

    [Fact]
    public void Deciding_a_start_submits_the_job_and_accepts_it()
    {
        var decision = Decide(new JobState(), new StartJob((JobId)JobId, Yaml, "/data", "0xpayer", 5_000));

        var submitted = Assert.IsType<JobSubmitted>(Assert.Single(decision.Events));
        Assert.Equal((JobId, JobSpecParser.WithExplicitDefaults(Yaml), "/data", Now, "0xpayer", 5_000L, "0xpayer"),
            (submitted.JobId, submitted.SpecYaml, submitted.BaseDirectory, submitted.At, submitted.Payer,
                submitted.DepositMicros, submitted.Owner));
        Assert.Equal(new JobAccepted((JobId)JobId, "synthetic-test"), Assert.Single(decision.Replies));
        Assert.True(decision.Advance);
    }

    [Fact]
    public void Deciding_a_start_of_a_spec_that_does_not_parse_refuses_it_and_submits_nothing()
    {
        var decision = Decide(new JobState(), new StartJob((JobId)JobId, "name: [unclosed\n", "/data"));

        Assert.Empty(decision.Events);
        Assert.NotEmpty(Assert.IsType<JobRejected>(Assert.Single(decision.Replies)).Errors);
    }

    [Fact]
    public void The_same_submission_again_is_accepted_again_and_another_under_the_same_id_is_refused()
    {
        var state = With(Submitted()).State;

        var again = Decide(state, new StartJob((JobId)JobId, Yaml, "/elsewhere"));
        var other = Decide(state, new StartJob((JobId)JobId, TestSpecs.SyntheticYaml(rounds: 5), "/data"));

        Assert.Empty(again.Events);
        Assert.Equal(new JobAccepted((JobId)JobId, "synthetic-test"), Assert.Single(again.Replies));
        Assert.Empty(other.Events);
        var refused = Assert.IsType<JobRejected>(Assert.Single(other.Replies));
        Assert.Contains("is taken by another submission", Assert.Single(refused.Errors));
    }

    [Fact]
    public void Deciding_a_cancel_cancels_a_running_job_and_refuses_a_finished_one()
    {
        var running = Assigned().State;

        var cancel = Decide(running, new CancelJob((JobId)JobId, ""));
        var cancelled = running.Apply(Assert.IsType<JobCancelled>(Assert.Single(cancel.Events)));
        var again = Decide(cancelled, new CancelJob((JobId)JobId, "again"));

        Assert.Equal("cancelled by the requester", cancelled.Reason);
        Assert.Equal(new JobCancelAccepted((JobId)JobId, "cancelled"), Assert.Single(cancel.Replies));
        Assert.Empty(again.Events);
        Assert.True(Assert.IsType<RequestFailed>(Assert.Single(again.Replies)).InvalidInput);
    }

    [Fact]
    public void A_cancel_reason_is_cut_to_200_characters()
    {
        var decision = Decide(Assigned().State, new CancelJob((JobId)JobId, new string('x', 500)));

        Assert.Equal(200, Assert.IsType<JobCancelled>(Assert.Single(decision.Events)).Reason.Length);
    }

    [Fact]
    public void Deciding_an_assignment_fences_the_previous_epoch_and_confirms_the_shards_checkpoint()
    {
        var saved = new ShardCheckpointSaved(0, 0, 1, (WorkerId)"worker-1", 4, D("checkpoint"), T0, "0xMaker", "0xsig");
        var state = Assigned().State.Apply(saved);

        var decision = Decide(state, Asks(0, "worker-2"));

        Assert.Equal(new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", Now), Assert.Single(decision.Events));
        var confirmed = Assert.IsType<ShardActor.AssignConfirmed>(Assert.Single(decision.Replies));
        Assert.Equal((2, D("checkpoint")), (confirmed.Epoch, confirmed.Resume));
        Assert.Equal([saved], confirmed.Lineage!);   // with its maker's signature: a resume checks it
    }

    [Fact]
    public void An_excluded_worker_or_its_key_is_refused_a_shard_and_nothing_is_journalled()
    {
        var state = Assigned().State;
        var fraud = Decide(state, Judged(Result(0, 0, 1, "worker-1"), VerdictOutcome.Fraud, "0xCheat"));
        state = state.Apply(Assert.IsType<ShardVerified>(fraud.Events[0]));

        var sameWorker = Decide(state, Asks(0, "worker-1"));
        var sameKey = Decide(state, Asks(1, "worker-9", "0xcheat"));

        Assert.Empty(sameWorker.Events);
        var excluded = Assert.IsType<ShardActor.Excluded>(Assert.Single(sameWorker.Replies));
        Assert.Equal(["worker-1"], excluded.Workers.Workers.Select(id => id.Value));
        Assert.Empty(sameKey.Events);
        Assert.IsType<ShardActor.Excluded>(Assert.Single(sameKey.Replies));
    }

    [Fact]
    public void A_lost_worker_is_released_and_a_stale_loss_changes_nothing()
    {
        var state = Assigned().State;

        var lost = Decide(state, new ShardActor.Lost(0, 1, (WorkerId)"worker-1", "gone", CountsAsFailure: true));
        var stale = Decide(state, new ShardActor.Lost(0, 7, (WorkerId)"worker-1", "gone", CountsAsFailure: true));

        Assert.Equal(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "gone", Now), Assert.Single(lost.Events));
        Assert.Empty(stale.Events);
    }

    [Fact]
    public void A_shard_lost_on_as_many_workers_as_the_rules_allow_fails_the_job()
    {
        var state = Assigned().State.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "gone", T0))
            .Apply(new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", T0));

        var decision = Decide(state, new ShardActor.Lost(0, 2, (WorkerId)"worker-2", "crashed", CountsAsFailure: true));

        Assert.IsType<ShardReleased>(decision.Events[0]);
        var failed = Assert.IsType<JobFailed>(decision.Events[1]);
        Assert.Equal("round 0 shard 0 failed on 2 different workers (worker-1, worker-2); last: crashed",
            failed.Reason);
    }

    [Fact]
    public void A_busy_worker_does_not_count_towards_failing_the_job()
    {
        var state = Assigned().State.Apply(new ShardReleased(0, 0, 1, (WorkerId)"worker-1", "gone", T0))
            .Apply(new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", T0));

        var decision = Decide(state, new ShardActor.Lost(0, 2, (WorkerId)"worker-2", "busy", CountsAsFailure: false));

        Assert.IsType<ShardReleased>(Assert.Single(decision.Events));
    }

    [Fact]
    public void An_accepted_result_is_verified_then_completes_its_shard_and_the_job_goes_on()
    {
        var decision = Decide(Assigned().State, Judged(Result(0, 0, 1, "worker-1"), VerdictOutcome.Accepted));

        Assert.Equal([typeof(ShardVerified), typeof(ShardCompleted)], decision.Events.Select(e => e.GetType()));
        var completed = (ShardCompleted)decision.Events[1];
        Assert.Equal((0, 0, 1, "worker-1", D("end-0-0"), 0.5),
            (completed.Round, completed.Shard, completed.Epoch, completed.WorkerId, completed.EndState,
                completed.MeanLoss));
        Assert.IsType<ShardActor.Accepted>(Assert.Single(decision.Replies));
        Assert.Empty(decision.ToOtherShards);
        Assert.True(decision.Advance);
    }

    [Fact]
    public void A_fraud_is_journalled_and_the_worker_is_excluded_from_every_shard_of_the_job()
    {
        var decision = Decide(Assigned().State, Judged(Result(0, 0, 1, "worker-1"), VerdictOutcome.Fraud, "0xCheat"));

        Assert.Equal(VerdictOutcome.Fraud, Assert.IsType<ShardVerified>(Assert.Single(decision.Events)).Outcome);
        var rejected = Assert.IsType<ShardActor.Rejected>(Assert.Single(decision.Replies));
        Assert.Equal(["worker-1"], rejected.Excluded.Workers.Select(id => id.Value));
        Assert.Equal(["0xcheat"], rejected.Excluded.Addresses);
        var toOthers = Assert.IsType<ShardActor.Excluded>(Assert.Single(decision.ToOtherShards)).Workers;
        Assert.Equal(rejected.Excluded.Workers, toOthers.Workers);
        Assert.Equal(rejected.Excluded.Addresses, toOthers.Addresses);
        Assert.False(decision.Advance);
    }

    [Fact]
    public void A_result_from_a_fenced_out_epoch_is_ignored_with_a_warning()
    {
        var decision = Decide(Assigned().State, Judged(Result(0, 0, 5, "worker-1"), VerdictOutcome.Accepted));

        Assert.Empty(decision.Events);
        Assert.Empty(decision.Replies);
        Assert.Contains("is fenced out", decision.Warning);
    }

    [Fact]
    public void A_second_replicas_accepted_verdict_after_its_shard_completed_is_journalled_and_accepted()
    {
        var yaml = Yaml + "\nverification: { mode: replicated, samples: 3 }\n";
        var state = new IJobEvent[]
        {
            new JobSubmitted((JobId)JobId, yaml, "/data", T0), Started(0), new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0),
            new ShardAssigned(0, 0, 2, (WorkerId)"worker-2", T0), Completed(0, 0, 1, "worker-1"),
        }.Aggregate(new JobState(), (s, e) => s.Apply(e));

        var decision = Decide(state, Judged(Result(0, 0, 2, "worker-2"), VerdictOutcome.Accepted));

        Assert.Equal(2, state.Replicas);
        Assert.IsType<ShardVerified>(Assert.Single(decision.Events));
        Assert.IsType<ShardActor.Accepted>(Assert.Single(decision.Replies));
        Assert.False(decision.Advance);
    }

    [Fact]
    public void A_prepared_round_starts_it_and_a_recomputed_one_restores_or_fails_the_job()
    {
        var submitted = With(Submitted()).State;
        var started = Assigned().State;
        JobCompute.PreparedRound Prepared(params Sha256Digest[] starts) => new(0, D("global-0"), starts, [1000, 1001]);

        var start = Decide(submitted, Prepared(D("start-0-0"), D("start-0-1")));
        var restore = Decide(started, Prepared(D("start-0-0"), D("start-0-1")));
        var broken = Decide(started, Prepared(D("start-0-0"), D("other")));

        Assert.Equal(0, Assert.IsType<RoundStarted>(Assert.Single(start.Events)).Round);
        Assert.True(start.Advance);
        Assert.Empty(restore.Events);
        Assert.IsType<ShardActor.StartStateRestored>(Assert.Single(restore.ToOtherShards));
        Assert.Contains("the determinism contract is broken",
            Assert.IsType<JobFailed>(Assert.Single(broken.Events)).Reason);
    }

    [Fact]
    public void An_aggregated_round_completes_it_with_the_mean_loss_of_its_shards()
    {
        var state = With(Submitted(), Started(0), new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0),
            Completed(0, 0, 1, "worker-1"), new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0),
            Completed(0, 1, 1, "worker-2")).State;

        var decision = Decide(state, new JobCompute.AggregatedRound(0, D("global-1"), D("digest-1")));

        var completed = Assert.IsType<RoundCompleted>(Assert.Single(decision.Events));
        Assert.Equal((0, D("global-1"), 1.0), (completed.Round, completed.GlobalState, completed.MeanLoss));
        Assert.True(decision.Advance);
    }

    [Fact]
    public void A_round_aggregated_with_an_evaluation_carries_its_test_figures_into_the_view_and_the_log()
    {
        var projection = With(Submitted(), Started(0), new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0),
            Completed(0, 0, 1, "worker-1"), new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0),
            Completed(0, 1, 1, "worker-2"));
        var test = new Evaluation(0.4321, 0.8125, null, 96);

        var decision = Decide(projection.State, new JobCompute.AggregatedRound(0, D("global-1"), D("digest-1"), test));

        var completed = Assert.IsType<RoundCompleted>(Assert.Single(decision.Events));
        Assert.Equal(((double?)0.8125, (double?)0.4321, (double?)null),
            (completed.TestAccuracy, completed.TestLoss, completed.TestPerplexity));
        var after = projection.Apply(completed);
        var round = Assert.Single(after.View(None).RoundHistory);
        Assert.Equal(((double?)0.8125, (double?)0.4321), (round.TestAccuracy, round.TestLoss));
        Assert.Contains("round 0 aggregated: mean loss 1.0000, test accuracy 81.25", after.Log[^1].Text);
    }

    [Fact]
    public void A_round_aggregated_without_an_evaluation_has_no_test_figures()
    {
        var projection = With(Submitted(), Started(0), new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0),
            Completed(0, 0, 1, "worker-1"), new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0),
            Completed(0, 1, 1, "worker-2"));

        var completed = Assert.IsType<RoundCompleted>(Assert.Single(
            Decide(projection.State, new JobCompute.AggregatedRound(0, D("global-1"), D("digest-1"))).Events));

        Assert.Equal(((double?)null, (double?)null, (double?)null),
            (completed.TestAccuracy, completed.TestLoss, completed.TestPerplexity));
        var round = Assert.Single(projection.Apply(completed).View(None).RoundHistory);
        Assert.Null(round.TestAccuracy);
        Assert.DoesNotContain("testAccuracy", System.Text.Json.JsonSerializer.Serialize(round,
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
    }

    [Fact]
    public void A_computation_that_no_longer_fits_only_lets_the_job_go_on()
    {
        var decision = Decide(Assigned().State, new JobCompute.AggregatedRound(3, D("global-4"), D("digest-4")));

        Assert.Empty(decision.Events);
        Assert.True(decision.Advance);
    }

    [Fact]
    public void A_failed_computation_fails_a_running_job_and_changes_nothing_once_it_ended()
    {
        var running = Assigned().State;
        var cancelled = running.Apply(new JobCancelled("by the requester", T0));

        Assert.Equal(new JobFailed("out of memory", Now),
            Assert.Single(Decide(running, new ComputeFailed("out of memory")).Events));
        Assert.Equal(JobDecision.None, Decide(cancelled, new ComputeFailed("out of memory")));
        Assert.Equal(JobDecision.None, Decide(cancelled, new JobCompute.AggregatedRound(0, D("g"), D("d"))));
    }

    [Fact]
    public void A_settled_order_that_is_due_is_posted_and_an_unknown_one_changes_nothing()
    {
        var state = Assigned().State.Apply(new JobCancelled("by the requester", T0));
        var paid = new JobSubmitted((JobId)JobId, Yaml, "/data", T0, "0xpayer", 1_000);
        var settling = new IJobEvent[] { paid, Started(0), new JobCancelled("by the requester", T0) }
            .Aggregate(new JobState(), (s, e) => s.Apply(e));
        var order = Assert.Single(settling.SettlementsDue);
        SettlementSettled Settled(string id) =>
            new((JobId)JobId, id, order.Kind, SettlementStatus.Confirmed, "0xtx", 1, 1_000, "", Now);

        var posted = Decide(settling, Settled(order.SettlementId));

        Assert.Equal(new SettlementPosted(order, Settled(order.SettlementId), Now), Assert.Single(posted.Events));
        Assert.Empty(Decide(settling, Settled("0x" + new string('9', 64))).Events);
        Assert.Empty(Decide(state, Settled(order.SettlementId)).Events);
    }

    [Fact]
    public void Deciding_leaves_the_state_as_it_was()
    {
        var state = Assigned().State;
        var before = System.Text.Json.JsonSerializer.Serialize(state.ToSnapshot());

        Decide(state, Judged(Result(0, 0, 1, "worker-1"), VerdictOutcome.Fraud));
        Decide(state, new CancelJob((JobId)JobId, ""));
        Decide(state, Asks(0, "worker-2"));

        Assert.Equal(before, System.Text.Json.JsonSerializer.Serialize(state.ToSnapshot()));
    }

    private static IEnumerable<IJobEvent> FullRunEvents()
    {
        yield return Submitted();
        for (var round = 0; round < 2; round++)
        {
            yield return Started(round);
            for (var shard = 0; shard < 2; shard++)
            {
                yield return new ShardAssigned(round, shard, 1, (WorkerId)$"worker-{shard + 1}", T0);
                yield return Completed(round, shard, 1, $"worker-{shard + 1}");
            }
            yield return RoundDone(round);
        }
    }

    /// <summary>Both rounds of the two-round, two-shard job done; not yet finished.</summary>
    private static JobProjection FullRun() => With([.. FullRunEvents()]);

    private static string Json(JobView view) => System.Text.Json.JsonSerializer.Serialize(view);
}

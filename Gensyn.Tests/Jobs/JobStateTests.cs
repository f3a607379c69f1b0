using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

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

    private static JobSubmitted Submitted() => new(JobId, Yaml, Directory.GetCurrentDirectory(), T0);

    private static RoundStarted Started(int round) =>
        new(round, D($"global-{round}"), [D($"start-{round}-0"), D($"start-{round}-1")], [1000, 1001], T0.AddMinutes(round * 10 + 1));

    private static ShardCompleted Completed(int round, int shard, int epoch, string worker) =>
        new(round, shard, epoch, worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}"), 0.5 + shard, T0.AddMinutes(round * 10 + 2));

    private static RoundCompleted RoundDone(int round) =>
        new(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.75, T0.AddMinutes(round * 10 + 3));

    private static ShardResult Result(int round, int shard, int epoch, string worker, int losses = InnerSteps) =>
        new(JobId, round, shard, epoch, worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}"), Enumerable.Repeat(0.5f, losses).ToList(), "0x");

    private static JobProjection With(params IJobEvent[] events)
    {
        var state = new JobProjection();
        foreach (var e in events) state = state.Apply(e);
        return state;
    }

    /// <summary>A job in round 0 whose shard 0 is assigned to worker-1 at epoch 1.</summary>
    private static JobProjection Assigned() => With(Submitted(), Started(0), new ShardAssigned(0, 0, 1, "worker-1", T0));

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

        state = state.Apply(new ShardAssigned(0, 0, 1, "worker-1", T0));
        Assert.Equal(1, state.State.Shards[0].Epoch);
        Assert.Equal("worker-1", state.State.Shards[0].WorkerId);
        Assert.Equal(2, state.State.NextEpoch(0));
        Assert.Equal(1, state.State.NextEpoch(1));

        state = state.Apply(new ShardReleased(0, 0, 1, "worker-1", "the worker's process is gone", T0));
        Assert.Null(state.State.Shards[0].WorkerId);
        Assert.Equal(2, state.State.NextEpoch(0));

        state = state.Apply(new ShardAssigned(0, 0, 2, "worker-2", T0));
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
        state = state.Apply(new ShardReleased(0, 0, 1, "worker-1", "deadline missed", T0));
        state = state.Apply(new ShardAssigned(0, 0, 2, "worker-2", T0));

        var reason = state.State.Reject(Result(0, 0, 1, "worker-1"));

        Assert.Equal("epoch 1 from worker worker-1 is fenced out (current: epoch 2, worker worker-2)", reason);
        Assert.Null(state.State.Reject(Result(0, 0, 2, "worker-2")));
    }

    [Fact]
    public void A_result_from_a_released_worker_is_fenced_out_even_at_its_own_epoch()
    {
        var state = Assigned();
        state = state.Apply(new ShardReleased(0, 0, 1, "worker-1", "the worker failed", T0));

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
        state = state.Apply(new ShardAssigned(0, 1, 1, "worker-2", T0));
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

        state = state.Apply(new ShardAssigned(0, 1, 1, "worker-2", T0));
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
            new ShardAssigned(0, 0, 1, "worker-1", T0), Completed(0, 0, 1, "worker-1"),
            new ShardAssigned(0, 1, 1, "worker-2", T0), Completed(0, 1, 1, "worker-2"),
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
        state = state.Apply(new ShardAssigned(0, 1, 1, "worker-2", T0));
        state = state.Apply(Completed(0, 1, 1, "worker-2"));
        state = state.Apply(new ShardReleased(0, 0, 1, "worker-1", "gone", T0));
        state = state.Apply(new ShardAssigned(0, 0, 2, "worker-3", T0));

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

    private static IEnumerable<IJobEvent> FullRunEvents()
    {
        yield return Submitted();
        for (var round = 0; round < 2; round++)
        {
            yield return Started(round);
            for (var shard = 0; shard < 2; shard++)
            {
                yield return new ShardAssigned(round, shard, 1, $"worker-{shard + 1}", T0);
                yield return Completed(round, shard, 1, $"worker-{shard + 1}");
            }
            yield return RoundDone(round);
        }
    }

    /// <summary>Both rounds of the two-round, two-shard job done; not yet finished.</summary>
    private static JobProjection FullRun() => With([.. FullRunEvents()]);

    private static string Json(JobView view) => System.Text.Json.JsonSerializer.Serialize(view);
}

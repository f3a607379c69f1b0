using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>What a revocation and a rollback do to a job's state: the job returns to the start of the round and goes
/// on from there; a revoked result of the open round sends its shard to run again.</summary>
public class JobStatePurgeTests
{
    private static List<IJobEvent> TwoRoundsAndOpen() =>
    [
        Submitted(), .. RoundWithCheat(0), .. RoundWithCheat(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
    ];

    private static RoundsRolledBack RollbackAfter(List<IJobEvent> events, int round)
    {
        events.Add(Revoke(round, 1, 1, "cheat-1", Cheat));
        return PurgeRules.Rollback(Timeline(events), T0.AddHours(2))!;
    }

    [Fact]
    public void A_rollback_returns_the_job_to_the_state_it_had_at_the_start_of_that_round()
    {
        var events = TwoRoundsAndOpen();
        var rollback = RollbackAfter(events, 1);
        // The state at the start of round 1: right after round 0 completed.
        var start = State(events.Take(1 + RoundWithCheat(0).Count()));

        var state = State(events).Apply(rollback);

        Assert.Equal(1, rollback.FromRound);
        Assert.Equal(start.Round, state.Round);
        Assert.False(state.RoundOpen);
        Assert.Equal(start.LastGlobal, state.LastGlobal);
        Assert.Equal(start.LastShardEnds, state.LastShardEnds);
        Assert.Equivalent(start.History, state.History, strict: true);
        Assert.Equal(NextStep.StartRound, state.Next());
        Assert.Equal(JobPhase.Running, state.Phase);
    }

    [Fact]
    public void A_rollback_to_round_zero_starts_the_job_over_from_its_initial_model()
    {
        var events = TwoRoundsAndOpen();
        var rollback = RollbackAfter(events, 0);

        var state = State(events).Apply(rollback);

        Assert.Equal(-1, state.Round);
        Assert.Empty(state.History);
        Assert.Null(state.LastGlobal);
        Assert.Null(state.LastShardEnds);
        Assert.Equal(NextStep.StartRound, state.Next());
    }

    [Fact]
    public void The_rounds_after_a_rollback_start_again_from_the_restored_round()
    {
        var events = TwoRoundsAndOpen();
        events.Add(RollbackAfter(events, 1));
        events.AddRange(HonestRound(1));

        var state = State(events);

        Assert.Equal(2, state.CompletedRounds);
        Assert.Equal(D("global-2"), state.LastGlobal);
        Assert.Equal([End(1, 0, 1), End(1, 1, 1)], state.LastShardEnds);
        Assert.Equal(["honest-1", "other-1"], state.History[1].Workers);
    }

    [Fact]
    public void A_rollback_of_an_ended_job_or_of_a_round_it_has_not_reached_changes_nothing()
    {
        var events = TwoRoundsAndOpen();
        var rollback = RollbackAfter(events, 1);
        var cancelled = State(events).Apply(new JobCancelled("cancelled by the requester", T0));
        var early = State(events.Take(1 + RoundWithCheat(0).Count()));

        Assert.Same(cancelled, cancelled.Apply(rollback));
        Assert.Same(early, early.Apply(rollback with { FromRound = 2 }));
    }

    [Fact]
    public void A_revoked_result_that_completed_a_shard_of_the_open_round_sends_the_shard_to_run_again()
    {
        List<IJobEvent> events =
        [
            Submitted(), .. RoundWithCheat(0), Started(1), .. Accepted(1, 0, 1, "honest-1", Honest),
            .. Accepted(1, 1, 1, "cheat-1", Cheat),
        ];
        var before = State(events);

        var state = before.Apply(Revoke(1, 1, 1, "cheat-1", Cheat, aggregated: false));

        Assert.Equal(NextStep.Aggregate, before.Next());
        Assert.Equal(NextStep.RunShards, state.Next());
        Assert.False(state.Shards[1].Done);
        Assert.Null(state.Shards[1].EndState);
        Assert.Equal(2, state.NextEpoch(1));
        Assert.True(state.Shards[0].Done);
        Assert.True(state.Exclusion.Covers((WorkerId)"cheat-9", Cheat));
        Assert.Equal((1, 1), (state.RoundAccepted, state.RoundRejected));
        Assert.Equal((before.JobAccepted - 1, before.JobRejected + 1), (state.JobAccepted, state.JobRejected));
    }

    [Fact]
    public void A_revoked_result_of_a_completed_round_changes_no_shard_but_counts_as_rejected_and_excludes_its_key()
    {
        var events = TwoRoundsAndOpen();
        var before = State(events);

        var state = before.Apply(Revoke(0, 1, 1, "cheat-1", Cheat));

        Assert.Equal(before.Shards, state.Shards);
        Assert.Equal((before.RoundAccepted, before.RoundRejected), (state.RoundAccepted, state.RoundRejected));
        Assert.Equal(before.JobRejected + 1, state.JobRejected);
        Assert.True(state.Exclusion.Covers((WorkerId)"cheat-1", Cheat));
    }
}

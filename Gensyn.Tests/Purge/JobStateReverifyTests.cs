using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>What a conviction asks of a job and what a full replay of a result leads to: the key's standing accepted
/// results are replayed; a replay that disproves the committed root revokes the result as fraud, with the hash of that
/// evidence, and calls for the rollback of its round when the model had taken it in; an equal root changes
/// nothing.</summary>
public class JobStateReverifyTests
{
    private static KeyConvicted Convicted(string address) =>
        new(address, ConvictionGround.Fraud, "fraud elsewhere", "0x" + new string('e', 64), T0.AddHours(1));

    private static List<IJobEvent> TwoRoundsAndOpen() =>
    [
        Submitted(), .. RoundWithCheat(0), .. RoundWithCheat(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
    ];

    [Fact]
    public void A_conviction_sends_each_standing_accepted_result_of_the_key_to_be_replayed_and_no_other()
    {
        var events = TwoRoundsAndOpen();
        events.Add(Revoke(1, 1, 1, "cheat-1", Cheat));
        var state = State(events);

        var affected = state.ToReverify(Convicted(Cheat), Timeline(events));

        Assert.Equal([(0, 1)], affected.Select(r => (r.Round, r.Shard)));
        Assert.Empty(state.ToReverify(Convicted(Other), Timeline(events)));
        Assert.Equal(3, state.ToReverify(Convicted(Honest.ToUpperInvariant()), Timeline(events)).Count);
    }

    [Fact]
    public void A_replay_that_disproves_the_committed_root_revokes_the_result_and_calls_for_a_rollback()
    {
        var events = TwoRoundsAndOpen();
        var state = State(events);
        var timeline = Timeline(events);
        var result = state.ToReverify(Convicted(Cheat), timeline).Single(r => r.Round == 1);

        var decision = state.Decide(new ResultReplayed(result, D("another root"), timeline), new JobRules(),
            T0.AddHours(2));

        var revoked = Assert.IsType<ResultRevoked>(Assert.Single(decision.Events));
        Assert.Equal((1, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud, true),
            (revoked.Round, revoked.Shard, revoked.Epoch, revoked.WorkerId, revoked.WorkerAddress, revoked.Outcome,
                revoked.Aggregated));
        Assert.Equal(Root(1, 1, 1), revoked.MerkleRoot);
        Assert.Matches("^0x[0-9a-f]{64}$", revoked.EvidenceHash);
        Assert.Contains(D("another root").ToString(), revoked.Reason);

        events.Add(revoked);
        var rollback = State(events).RollbackDue(Timeline(events), T0.AddHours(2));
        Assert.NotNull(rollback);
        Assert.Equal((1, revoked.EvidenceHash), (rollback.FromRound, rollback.EvidenceHash));
        Assert.Equal([1, 2], rollback.DiscardedRounds);
        events.Add(rollback);
        Assert.Null(State(events).RollbackDue(Timeline(events), T0.AddHours(3)));

        // status and logs show both.
        var shown = JobProjection.Of(events);
        Assert.Equal([("revoked", 1), ("rolled-back", 1)], shown.Purges.Select(p => (p.Action, p.Round)));
        Assert.Equal([1, 2], shown.Purges[1].DiscardedRounds);
        Assert.Contains(shown.Log, l => l.Text.StartsWith("round 1 shard 1 REVOKED (fraud)")
                                        && l.Text.Contains(revoked.EvidenceHash));
        Assert.Contains(shown.Log,
            l => l.Text.StartsWith("ROLLED BACK to the start of round 1 (rounds 1, 2 discarded)"));
        Assert.Equal(shown.Purges, shown.View(new Dictionary<int, (int, float)>()).Purges);
    }

    [Fact]
    public void A_rollback_shows_how_long_the_job_took_to_aggregate_every_round_it_discarded_again()
    {
        var events = TwoRoundsAndOpen();
        var result = State(events).ToReverify(Convicted(Cheat), Timeline(events)).Single(r => r.Round == 1);
        events.AddRange(State(events).Decide(new ResultReplayed(result, D("another root"), Timeline(events)),
            new JobRules(), T0.AddHours(2)).Events);
        var rollback = State(events).RollbackDue(Timeline(events), T0.AddHours(2))!;
        events.Add(rollback);
        Assert.Null(JobProjection.Of(events).Purges[^1].RecomputedSeconds);

        // Round 1 again: round 2, also discarded, is still to come.
        events.AddRange([Started(1), .. Accepted(1, 0, 2, "honest-1", Honest), .. Accepted(1, 1, 2, "other-1", Other)]);
        events.Add(RoundDone(1) with { At = T0.AddHours(2).AddSeconds(30) });
        Assert.Null(JobProjection.Of(events).Purges[^1].RecomputedSeconds);

        events.AddRange([Started(2), .. Accepted(2, 0, 2, "honest-1", Honest), .. Accepted(2, 1, 2, "other-1", Other)]);
        events.Add(RoundDone(2) with { At = T0.AddHours(2).AddSeconds(75) });
        Assert.Equal(75, JobProjection.Of(events).Purges[^1].RecomputedSeconds);
    }

    [Fact]
    public void A_replay_that_gives_the_committed_root_leaves_the_result_standing()
    {
        var events = TwoRoundsAndOpen();
        var state = State(events);
        var timeline = Timeline(events);
        var result = state.ToReverify(Convicted(Cheat), timeline).First();

        var decision = state.Decide(new ResultReplayed(result, result.MerkleRoot, timeline), new JobRules(), T0);

        Assert.Empty(decision.Events);
        Assert.Null(state.RollbackDue(timeline, T0));
    }

    [Fact]
    public void A_result_revoked_already_or_a_job_that_ended_leads_to_nothing_more()
    {
        var events = TwoRoundsAndOpen();
        var timeline = Timeline(events);
        var result = State(events).ToReverify(Convicted(Cheat), timeline).First();
        events.Add(Revoke(result.Round, result.Shard, result.Epoch, result.WorkerId, Cheat));
        var revokedAlready = State(events).Decide(new ResultReplayed(result, D("x"), Timeline(events)),
            new JobRules(), T0);
        Assert.Empty(revokedAlready.Events);

        var ended = TwoRoundsAndOpen();
        ended.Add(new JobCancelled("cancelled by the requester", T0.AddHours(1)));
        var state = State(ended);
        Assert.Empty(state.ToReverify(Convicted(Cheat), Timeline(ended)));
        Assert.Empty(state.Decide(new ResultReplayed(result, D("x"), Timeline(ended)), new JobRules(), T0).Events);
    }

    [Fact]
    public void A_result_checked_across_numeric_classes_is_not_revoked_on_a_replays_root()
    {
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            new ShardAssigned(0, 1, 1, (WorkerId)"cheat-1", T0),
            Verdict(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Accepted) with { RelativeError = 3e-7 },
        ];
        var state = State(events);
        var timeline = Timeline(events);
        var result = Assert.Single(state.ToReverify(Convicted(Cheat), timeline));

        var replayed = new ResultReplayed(result, D("another class's root"), timeline);

        var decision = state.Decide(replayed, new JobRules(), T0);

        Assert.Empty(decision.Events);
        Assert.Contains("across numeric classes", decision.Warning);
    }
}

using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>Which results a conviction affects, which round a job rolls back to, and which round states it
/// discards.</summary>
public class PurgeRulesTests
{
    /// <summary>Rounds 0 and 1 completed with the cheater on shard 1; round 2 open, both shards accepted, not yet
    /// aggregated.</summary>
    private static List<IJobEvent> ThreeRounds() =>
    [
        Submitted(), .. RoundWithCheat(0), .. RoundWithCheat(1),
        Started(2), .. Accepted(2, 0, 1, "honest-1", Honest), .. Accepted(2, 1, 1, "cheat-1", Cheat),
    ];

    [Fact]
    public void Affected_results_are_the_convicted_keys_accepted_results_each_with_whether_it_was_aggregated()
    {
        var affected = PurgeRules.Affected(Timeline(ThreeRounds()), Cheat.ToLowerInvariant());

        Assert.Equal([(0, 1, true), (1, 1, true), (2, 1, false)],
            affected.Select(r => (r.Round, r.Shard, r.Aggregated)).ToList());
        Assert.All(affected, r => Assert.Equal("cheat-1", r.WorkerId));
    }

    [Fact]
    public void Results_the_job_rejected_or_revoked_are_not_affected()
    {
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud),
            .. Accepted(0, 0, 1, "cheat-2", Cheat), .. Accepted(0, 1, 2, "cheat-3", Cheat), RoundDone(0),
            Revoke(0, 0, 1, "cheat-2", Cheat),
        ];

        var affected = PurgeRules.Affected(Timeline(events), Cheat);

        Assert.Equal("cheat-3", Assert.Single(affected).WorkerId);
    }

    [Fact]
    public void A_replica_whose_root_equals_the_aggregated_one_counts_as_aggregated_and_another_root_does_not()
    {
        var agreeing = Verdict(0, 1, 2, "cheat-1", Cheat, VerdictOutcome.Accepted) with { MerkleRoot = Root(0, 1, 1) };
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Accepted(0, 0, 1, "cheat-2", Cheat), new ShardAssigned(0, 1, 1, (WorkerId)"other-1", T0),
            new ShardAssigned(0, 1, 2, (WorkerId)"cheat-1", T0),
            .. Accepted(0, 1, 1, "other-1", Other).Skip(1), agreeing, RoundDone(0),
        ];
        var second = Verdict(0, 0, 3, "cheat-3", Cheat, VerdictOutcome.Accepted);
        events.Insert(events.Count - 1, second);

        var affected = PurgeRules.Affected(Timeline(events), Cheat);

        Assert.Equal([("cheat-2", true), ("cheat-1", true), ("cheat-3", false)],
            affected.Select(r => (r.WorkerId, r.Aggregated)).ToList());
    }

    [Fact]
    public void The_job_rolls_back_to_the_start_of_the_earliest_round_whose_revoked_result_was_aggregated()
    {
        var events = ThreeRounds();
        events.AddRange([Revoke(1, 1, 1, "cheat-1", Cheat), Revoke(0, 1, 1, "cheat-1", Cheat),
            Revoke(2, 1, 1, "cheat-1", Cheat, aggregated: false)]);

        var rollback = PurgeRules.Rollback(Timeline(events), T0.AddHours(2));

        Assert.NotNull(rollback);
        Assert.Equal(0, rollback.FromRound);
        Assert.Equal([0, 1, 2], rollback.DiscardedRounds);
        Assert.Null(rollback.RestoredGlobal);
        Assert.Null(rollback.RestoredShardEnds);
        Assert.Equal(Revoke(0, 1, 1, "cheat-1", Cheat).EvidenceHash, rollback.EvidenceHash);
        Assert.Contains("round 0 shard 1", rollback.Reason);
        Assert.Equal(PurgeJournal.JobId, rollback.JobId);
    }

    [Fact]
    public void A_rollback_restores_the_states_the_round_before_it_left_and_discards_every_later_round_state()
    {
        var events = ThreeRounds();
        events.Add(Revoke(1, 1, 1, "cheat-1", Cheat));

        var rollback = PurgeRules.Rollback(Timeline(events), T0.AddHours(2))!;

        Assert.Equal(1, rollback.FromRound);
        Assert.Equal([1, 2], rollback.DiscardedRounds);
        Assert.Equal(D("global-1"), rollback.RestoredGlobal);
        Assert.Equal([End(0, 0, 1), End(0, 1, 1)], rollback.RestoredShardEnds);
    }

    [Fact]
    public void A_revoked_result_the_model_never_took_in_needs_no_rollback_only_its_shard_run_again()
    {
        var events = ThreeRounds();
        events.Add(Revoke(2, 1, 1, "cheat-1", Cheat, aggregated: false));
        var timeline = Timeline(events);

        Assert.Null(PurgeRules.Rollback(timeline, T0));
        Assert.Equal((2, 1), PurgeRules.Reruns(timeline).Select(r => (r.Round, r.Shard)).Single());
    }

    [Fact]
    public void A_journalled_rollback_calls_for_no_further_one_and_leaves_its_rounds_results_unaggregated()
    {
        var events = ThreeRounds();
        events.Add(Revoke(1, 1, 1, "cheat-1", Cheat));
        events.Add(PurgeRules.Rollback(Timeline(events), T0.AddHours(2))!);
        var timeline = Timeline(events);

        Assert.Null(PurgeRules.Rollback(timeline, T0.AddHours(3)));
        Assert.Empty(PurgeRules.Reruns(timeline));
        Assert.Equal(0, timeline.LatestRound);
        Assert.Equal([(0, true), (2, false)],
            PurgeRules.Affected(timeline, Cheat).Select(r => (r.Round, r.Aggregated)).ToList());
    }

    [Fact]
    public void A_recomputed_round_is_a_new_generation_whose_results_are_judged_on_their_own()
    {
        var events = ThreeRounds();
        events.Add(Revoke(1, 1, 1, "cheat-1", Cheat));
        events.Add(PurgeRules.Rollback(Timeline(events), T0.AddHours(2))!);
        events.AddRange([Started(1), .. Accepted(1, 0, 2, "honest-1", Honest), .. Accepted(1, 1, 2, "other-1", Other),
            RoundDone(1)]);
        var timeline = Timeline(events);

        Assert.Equal(1, timeline.GenerationOf(1));
        Assert.Equal([(1, 1, true), (1, 1, true)], timeline.Results
            .Where(r => r.Round == 1 && r.Generation == 1).Select(r => (r.Round, r.Generation, r.Aggregated)).ToList());
        Assert.DoesNotContain(timeline.Results, r => r.Round == 1 && r.Generation == 0 && r.Aggregated);
    }
}

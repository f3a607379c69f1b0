using Akka.Configuration;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>A convicted key's result whose full replay cannot be had: inputs gone from the coordinator end it at once,
/// a verifier's own failures are tried again a bounded number of times, and either way the result is revoked as
/// unverifiable (not fraud: no slash) and recomputed at the convicted stake's cost.</summary>
public class ReplayRuleTests
{
    private static KeyConvicted Convicted(string address) =>
        new(address, ConvictionGround.Fraud, "fraud elsewhere", "0x" + new string('e', 64), T0.AddHours(1));

    private static List<IJobEvent> TwoRoundsAndOpen() =>
    [
        Submitted(), .. RoundWithCheat(0), .. RoundWithCheat(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
        .. Accepted(2, 1, 1, "cheat-1", Cheat),
    ];

    [Fact]
    public void Inputs_are_gone_when_the_journal_has_no_start_state_or_the_store_no_longer_holds_it()
    {
        var events = TwoRoundsAndOpen();
        var timeline = Timeline(events);
        var result = PurgeRules.Affected(timeline, Cheat).First(r => r.Round == 1);
        var start = timeline.StartOf(result);
        Assert.Equal(D("start-1-1"), start);

        Assert.Null(ReplayRule.InputsGone(result, start, _ => true));
        var collected = ReplayRule.InputsGone(result, start, _ => false);
        Assert.Contains("no longer held", collected);
        Assert.Contains(D("start-1-1").ToString(), collected);
        Assert.Contains("journal holds no start state", ReplayRule.InputsGone(result, null, _ => true));
    }

    [Fact]
    public void A_verifier_failure_is_retried_up_to_the_setting_and_then_the_result_is_unverifiable()
    {
        var settings = new ReplaySettings(3, TimeSpan.FromSeconds(7));

        Assert.Equal(new ReplayNext.Retry(2, TimeSpan.FromSeconds(7)), ReplayRule.AfterFailure(1, "timeout", settings));
        Assert.Equal(new ReplayNext.Retry(3, TimeSpan.FromSeconds(7)), ReplayRule.AfterFailure(2, "timeout", settings));
        var gaveUp = Assert.IsType<ReplayNext.Unverifiable>(ReplayRule.AfterFailure(3, "a crash", settings));
        Assert.Contains("failed 3 time(s)", gaveUp.Reason);
        Assert.Contains("a crash", gaveUp.Reason);
        Assert.IsType<ReplayNext.Unverifiable>(ReplayRule.AfterFailure(1, "x", new ReplaySettings(1, TimeSpan.Zero)));
    }

    [Fact]
    public void The_replay_settings_come_from_gensyn_purge_with_defaults_and_a_clear_error_for_nonsense()
    {
        Assert.Equal(ReplaySettings.Default, ReplaySettings.From(ConfigurationFactory.Empty));
        Assert.Equal(new ReplaySettings(2, TimeSpan.FromMilliseconds(250)), ReplaySettings.From(
            ConfigurationFactory.ParseString("gensyn.purge { replay-attempts = 2, replay-retry = 250ms }")));
        var e = Assert.Throws<ConfigurationException>(() => ReplaySettings.From(
            ConfigurationFactory.ParseString("gensyn.purge.replay-attempts = 0")));
        Assert.Contains("replay-attempts must be 1 or more", e.Message);
        // The shipped cluster.hocon states the defaults.
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")));
        Assert.Equal(ReplaySettings.Default, ReplaySettings.From(shipped));
    }

    [Fact]
    public void An_unverifiable_result_is_revoked_as_such_recomputed_and_paid_back_but_never_slashed()
    {
        var events = TwoRoundsAndOpen();
        events.Add(Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)));
        var state = State(events);
        var timeline = Timeline(events);
        var result = state.ToReverify(Convicted(Cheat), timeline).Single(r => r.Round == 0);

        var decision = state.Decide(new ResultUnverifiable(result, "the start state is no longer held", timeline),
            new JobRules(), T0.AddHours(2));

        var revoked = Assert.IsType<ResultRevoked>(Assert.Single(decision.Events));
        Assert.True(decision.Advance);
        Assert.Equal((0, 1, "cheat-1", VerdictOutcome.Unverifiable, true),
            (revoked.Round, revoked.Shard, (string)revoked.WorkerId, revoked.Outcome, revoked.Aggregated));
        Assert.Contains("cannot be verified again: the start state is no longer held", revoked.Reason);
        Assert.Matches("^0x[0-9a-f]{64}$", revoked.EvidenceHash);

        // The model took it in: the job returns to round 0; the stake pays back round 0's payout and the
        // recomputation, and nothing of it is a slash split with the treasury.
        events.Add(revoked);
        var rollback = State(events).RollbackDue(Timeline(events), T0.AddHours(2));
        Assert.Equal(0, rollback!.FromRound);
        Assert.Contains("unverifiable", rollback.Reason);
        events.Add(rollback);
        var after = State(events);
        var slashes = after.SettlementsDue.Where(o => o.Kind == SettlementKind.Slash).ToList();
        Assert.NotEmpty(slashes);
        Assert.All(slashes, s => Assert.Equal(JobLedger.RestitutionShareBps, s.RequesterShareBps));
        Assert.All(slashes, s => Assert.Equal(Cheat, s.Provider));
    }

    [Fact]
    public void A_result_that_no_longer_stands_or_was_checked_across_numeric_classes_is_left_alone()
    {
        var events = TwoRoundsAndOpen();
        var timeline = Timeline(events);
        var result = PurgeRules.Affected(timeline, Cheat).Single(r => r.Round == 2);
        events.Add(Revoke(2, 1, 1, "cheat-1", Cheat, aggregated: false));

        var decision = State(events).Decide(new ResultUnverifiable(result, "gone", Timeline(events)), new JobRules(),
            T0.AddHours(2));

        Assert.Empty(decision.Events);
    }

    [Fact]
    public void A_running_job_pins_every_rounds_states_for_a_purge_and_lets_them_go_when_it_ends()
    {
        using var dir = new TempDirectory();
        var store = new Gensyn.Actors.Blobs.BlobStore(dir.File("blobs"));
        var services = new JobServices(null!, store, Akka.Actor.ActorRefs.Nobody, Akka.Actor.ActorRefs.Nobody,
            Akka.Actor.ActorRefs.Nobody, Akka.Actor.ActorRefs.Nobody);
        var events = TwoRoundsAndOpen();
        var state = State(events);
        var timeline = Timeline(events);

        services.PinBlobs(state, timeline.States);

        var pinned = store.PinnedBy(JobId);
        // Round 0's start states and the states it left: the job's state no longer names them, a purge may need them.
        Assert.DoesNotContain(D("start-0-1"), state.ReferencedBlobs());
        Assert.Superset(new HashSet<Gensyn.Contracts.Sha256Digest>
        {
            D("start-0-0"), D("start-0-1"), D("global-0"), End(0, 0, 1), End(0, 1, 1), D("global-1"), D("start-2-1"),
        }, pinned.ToHashSet());
        Assert.Superset(state.ReferencedBlobs().ToHashSet(), pinned.ToHashSet());

        var ended = state.Apply(new JobFailed("test", T0.AddHours(3)));
        services.PinBlobs(ended, timeline.States);
        Assert.Empty(store.PinnedBy(JobId));
    }
}

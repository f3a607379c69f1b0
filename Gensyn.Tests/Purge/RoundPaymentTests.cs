using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>Who a round pays: the payment threshold counts the verdicts of keys the job has not convicted (a fraud
/// verdict, an invalid answer, a revoked result); a convicted key's verdicts do not count against the others, and the
/// round pays it nothing. Rejections that convict nobody (an unanswered challenge) still count.</summary>
public class RoundPaymentTests
{
    /// <summary>The state after <paramref name="events"/>, each round completed as the job decides it (its
    /// <see cref="RoundCompleted"/> names the keys it does not count) rather than as written.</summary>
    public static JobState Decided(IEnumerable<IJobEvent> events, JobState? from = null)
    {
        var state = from ?? new JobState();
        foreach (var e in events)
        {
            if (e is not RoundCompleted rc)
            {
                state = state.Apply(e);
                continue;
            }
            var decision = state.Decide(new JobCompute.AggregatedRound(rc.Round, rc.GlobalState, rc.StateDigest),
                new JobRules(), rc.At);
            state = decision.Events.Aggregate(state, (s, x) => s.Apply(x));
        }
        return state;
    }

    [Fact]
    public void A_journal_written_before_the_rule_counts_every_verdict_as_it_did()
    {
        var state = State([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud), .. Accepted(0, 1, 2, "other-1", Other),
            RoundDone(0),
        ]);

        var round = Assert.Single(state.History);
        Assert.Equal((false, 2, 3), (round.Paid, round.Accepted, round.Judged));
        Assert.Null(round.Convicted);
    }

    [Fact]
    public void A_fraud_in_a_normal_round_does_not_count_against_the_honest_keys_and_earns_its_key_nothing()
    {
        var state = Decided([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud), .. Accepted(0, 1, 2, "other-1", Other),
            RoundDone(0),
        ]);

        var round = Assert.Single(state.History);
        Assert.Equal((true, 2, 2, 1.0), (round.Paid, round.Accepted, round.Judged, round.MatchRate));
        Assert.Equal([Cheat.ToLowerInvariant()], round.Convicted);
        var pay = Assert.Single(state.SettlementsDue, o => o.Kind == SettlementKind.PayRound);
        Assert.Equal([Honest, Other], pay.Payees.Select(p => p.Address));
        Assert.Equal((2, 2), (pay.Accepted, pay.Judged));
        // The job's own match rate still shows every verdict.
        Assert.Equal(2.0 / 3, state.MatchRate, 12);
    }

    [Fact]
    public void An_honest_keys_own_rejections_still_count_against_the_round()
    {
        var state = Decided([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "other-1", Other, VerdictOutcome.Unavailable), .. Accepted(0, 1, 2, "honest-2", Honest),
            RoundDone(0),
        ]);

        var round = Assert.Single(state.History);
        Assert.Equal((false, 2, 3), (round.Paid, round.Accepted, round.Judged));
        Assert.Null(round.Convicted);
        Assert.DoesNotContain(state.SettlementsDue, o => o.Kind == SettlementKind.PayRound);
    }

    [Fact]
    public void A_key_convicted_in_an_earlier_round_is_not_counted_or_paid_in_later_rounds()
    {
        var state = Decided([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Invalid), .. Accepted(0, 1, 2, "other-1", Other),
            RoundDone(0), .. RoundWithCheat(1),
        ]);

        var round = state.History[1];
        Assert.Equal((true, 1, 1), (round.Paid, round.Accepted, round.Judged));
        var pay = state.SettlementsDue.Single(o => o.Kind == SettlementKind.PayRound && o.Round == 1);
        Assert.Equal([Honest], pay.Payees.Select(p => p.Address));
    }

    [Fact]
    public void A_round_whose_every_verdict_is_a_convicted_keys_pays_nobody()
    {
        var state = Decided([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "cheat-1", Cheat), .. Accepted(0, 1, 1, "cheat-2", Cheat),
            Verdict(0, 1, 2, "cheat-3", Cheat, VerdictOutcome.Fraud), RoundDone(0),
        ]);

        var round = Assert.Single(state.History);
        Assert.Equal((false, 0, 0), (round.Paid, round.Accepted, round.Judged));
        Assert.DoesNotContain(state.SettlementsDue, o => o.Kind == SettlementKind.PayRound);
    }

    [Fact]
    public void A_snapshot_keeps_the_open_rounds_verdicts_by_key_and_the_convicted_keys()
    {
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud),
        ];
        var restored = JobState.FromSnapshot(Decided(events).ToSnapshot());

        restored = Decided(Accepted(0, 1, 2, "other-1", Other).Append(RoundDone(0)), restored);

        var round = Assert.Single(restored.History);
        Assert.Equal((true, 2, 2), (round.Paid, round.Accepted, round.Judged));
        Assert.Equal([Cheat.ToLowerInvariant()], round.Convicted);
    }

    [Fact]
    public void A_snapshot_from_before_verdicts_were_kept_by_key_restores_the_rounds_counts()
    {
        var events = new List<IJobEvent>
        {
            Submitted(), Started(0), Verdict(0, 0, 1, "honest-1", Honest, VerdictOutcome.Accepted),
            Verdict(0, 1, 1, "other-1", Other, VerdictOutcome.Unavailable),
        };
        var snapshot = State(events).ToSnapshot();
        var old = snapshot with { Tally = new ResultTally(1, 1, 1, 1) };

        var restored = JobState.FromSnapshot(old);

        Assert.Equal((1, 1), (restored.RoundAccepted, restored.RoundRejected));
        Assert.Empty(restored.ConvictedAddresses);
    }
}

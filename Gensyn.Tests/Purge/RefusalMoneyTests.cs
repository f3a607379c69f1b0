using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>
/// What a conviction for refusal costs the key: in each job, the recomputation of every challenge its live session
/// left unanswered there (each sent its shard to run again elsewhere), at the job's locked payout, to the requester;
/// and the conviction's slash, split as today, in the one job whose verdict convicted it. A worker whose process died
/// is never charged, and a charge is journalled once.
/// </summary>
public class RefusalMoneyTests
{
    private const long Slash = 10_000_000;
    private const string Elsewhere = "job-elsewhere";

    private static KeyConvicted Refusal(string? job = JobId, ConvictionGround ground = ConvictionGround.Refusal) =>
        new(Cheat, ground, "3 challenges in a row left unanswered while its session was alive",
            "0x" + D("refusal-evidence"), T0.AddHours(1), job);

    /// <summary>Round 0: the refuser leaves shard 1 unanswered twice (the shard runs again with the honest key), then
    /// round 1 is under way with one more unanswered challenge of it.</summary>
    private static List<IJobEvent> Refused() =>
    [
        Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
        .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Unavailable),
        .. Rejected(0, 1, 2, "cheat-1", Cheat, VerdictOutcome.Unavailable),
        .. Accepted(0, 1, 3, "other-1", Other), RoundDone(0), Started(1), .. Accepted(1, 0, 1, "honest-1", Honest),
        .. Rejected(1, 1, 1, "cheat-1", Cheat, VerdictOutcome.Unavailable),
    ];

    private static long Sum(PurgePlan plan, string to, string why) =>
        plan.Transfers.Where(t => t.To == to && t.Why.Contains(why)).Sum(t => t.Micros);

    [Fact]
    public void Each_challenge_the_refuser_left_unanswered_in_the_job_is_charged_to_its_stake_as_a_rerun()
    {
        var charge = PurgeRules.RefusalCharge(Timeline(Refused()), Refusal(Elsewhere), T0)!;

        var plan = PurgeMoney.Refusal(charge, Terms(slash: Slash));

        Assert.Equal((Cheat, 3, 1, false), (charge.Address, charge.Unanswered, charge.Round, charge.TakesSlash));
        Assert.Equal(3 * Payout, Sum(plan, Payer, "recomputation"));
        Assert.Equal(3, plan.RecomputedResults);
        // Convicted by another job's verdict: that job takes the slash, not this one.
        Assert.DoesNotContain(plan.Transfers, t => t.Why.Contains("slash"));
        Assert.All(plan.Transfers, t => Assert.Equal(PurgePlan.Stake(Cheat), t.From));
        Assert.Equal(0, plan.Out(PurgePlan.Escrow(JobId)));
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(3333)]
    [InlineData(0)]
    public void The_job_whose_verdict_convicted_the_refuser_takes_the_slash_split_as_today(int bps)
    {
        var charge = PurgeRules.RefusalCharge(Timeline(Refused()), Refusal(), T0)!;

        var plan = PurgeMoney.Refusal(charge, Terms(slash: Slash, shareBps: bps));

        Assert.True(charge.TakesSlash);
        var requesterShare = Slash * bps / 10_000;
        Assert.Equal(requesterShare, Sum(plan, Payer, "the requester's share"));
        Assert.Equal(Slash - requesterShare, Sum(plan, Treasury, "the treasury's share"));
        Assert.Equal(3 * Payout + Slash, plan.Out(PurgePlan.Stake(Cheat)));
    }

    [Fact]
    public void The_convicting_job_takes_the_slash_even_where_the_refuser_left_nothing_else_to_rerun()
    {
        List<IJobEvent> events = [Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest)];

        var here = PurgeRules.RefusalCharge(Timeline(events), Refusal(), T0);
        var elsewhere = PurgeRules.RefusalCharge(Timeline(events), Refusal(Elsewhere), T0);

        Assert.Equal((0, true), (here!.Unanswered, here.TakesSlash));
        Assert.Null(elsewhere);
    }

    [Fact]
    public void A_worker_whose_process_died_is_never_charged_for_the_shards_it_left()
    {
        // Its process died: the shard was released, not judged, so nothing of it was left unanswered here.
        List<IJobEvent> events =
        [
            Submitted(), Started(0), new ShardAssigned(0, 1, 1, (Gensyn.Contracts.WorkerId)"cheat-1", T0),
            new ShardReleased(0, 1, 1, (Gensyn.Contracts.WorkerId)"cheat-1", "the worker's process is gone", T0),
            .. Accepted(0, 1, 2, "other-1", Other),
        ];

        Assert.Empty(PurgeRules.Unanswered(Timeline(events), Cheat));
        Assert.Null(PurgeRules.RefusalCharge(Timeline(events), Refusal(Elsewhere), T0));
    }

    [Fact]
    public void A_fraud_conviction_charges_no_reruns_here_its_slash_pays()
    {
        Assert.Null(PurgeRules.RefusalCharge(Timeline(Refused()), Refusal(ground: ConvictionGround.Fraud), T0));
    }

    [Fact]
    public void An_invalid_answer_conviction_charges_the_reruns_of_its_invalid_results_and_the_convicting_job_the_slash()
    {
        // A copycat: its copied roots are judged invalid twice (each shard runs again with another key); a challenge
        // it left unanswered is not what it is convicted of.
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Invalid),
            .. Rejected(0, 1, 2, "cheat-1", Cheat, VerdictOutcome.Invalid),
            .. Rejected(0, 2, 1, "cheat-1", Cheat, VerdictOutcome.Unavailable),
        ];

        var here = PurgeRules.RefusalCharge(Timeline(events), Refusal(ground: ConvictionGround.InvalidAnswer), T0)!;
        var elsewhere = PurgeRules.RefusalCharge(Timeline(events),
            Refusal(Elsewhere, ConvictionGround.InvalidAnswer), T0)!;
        var plan = PurgeMoney.Refusal(here, Terms(slash: Slash));

        Assert.Equal((2, true, ConvictionGround.InvalidAnswer), (here.Unanswered, here.TakesSlash, here.Ground));
        Assert.Equal((2, false), (elsewhere.Unanswered, elsewhere.TakesSlash));
        Assert.Equal(2 * Payout, Sum(plan, Payer, "recomputation"));
        Assert.Equal(2 * Payout + Slash, plan.Out(PurgePlan.Stake(Cheat)));
    }

    [Fact]
    public void A_charge_is_journalled_once_per_conviction_and_a_job_that_does_not_settle_has_none()
    {
        var timeline = Timeline(Refused());
        var charge = PurgeRules.RefusalCharge(timeline, Refusal(), T0)!;
        timeline.Apply(charge);
        var unpaid = Refused().Select(e => e is JobSubmitted s ? s with { Payer = null } : e);

        Assert.Null(PurgeRules.RefusalCharge(timeline, Refusal(), T0));
        Assert.Null(PurgeRules.RefusalCharge(Timeline(unpaid), Refusal(), T0));
        // A conviction journalled before convictions named their job takes no slash anywhere.
        Assert.False(PurgeRules.RefusalCharge(Timeline(Refused()), Refusal(job: null), T0)!.TakesSlash);
    }

    [Fact]
    public void A_stake_too_small_pays_the_reruns_first_and_reports_the_rest_as_shortfall()
    {
        var charge = PurgeRules.RefusalCharge(Timeline(Refused()), Refusal(), T0)!;

        var plan = PurgeMoney.Refusal(charge, Terms(stake: 2 * Payout, slash: Slash));

        Assert.Equal(2 * Payout, Sum(plan, Payer, "recomputation"));
        Assert.DoesNotContain(plan.Transfers, t => t.Why.Contains("slash"));
        Assert.Equal(Payout + Slash, plan.StakeShortfallMicros);
        Assert.Equal(2 * Payout, plan.Out(PurgePlan.Stake(Cheat)));
    }
}

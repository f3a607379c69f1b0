using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>
/// Who is paid when a convicted key's work is purged: what comes back out of its stake, what the recomputation costs
/// it, how the rest of the slash splits, and what honest providers of discarded rounds earn.
/// </summary>
public class PurgeMoneyTests
{
    private const long Slash = 10_000_000;

    /// <summary>
    /// Round 0 (cheater on shard 1) paid; round 1 honest, completed, not yet paid; round 2 open with one honest
    /// result. The cheater's round-0 result is revoked as fraud: the job rolls back to round 0.
    /// </summary>
    private static List<IJobEvent> PaidRoundRevoked(VerdictOutcome outcome = VerdictOutcome.Fraud,
                                                    IEnumerable<IJobEvent>? round1 = null) =>
    [
        Submitted(), .. RoundWithCheat(0), Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)),
        .. round1 ?? HonestRound(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
        Revoke(0, 1, 1, "cheat-1", Cheat, outcome),
    ];

    private static PurgePlan Plan(List<IJobEvent> events, PurgeTerms? terms = null)
    {
        var timeline = Timeline(events);
        return PurgeMoney.Plan(timeline, Cheat, PurgeRules.Rollback(timeline, T0.AddHours(2)), terms ?? Terms());
    }

    private static long Sum(PurgePlan plan, string to, string why) =>
        plan.Transfers.Where(t => t.To == to && t.Why.Contains(why)).Sum(t => t.Micros);

    [Fact]
    public void Payouts_already_made_for_revoked_results_come_back_out_of_the_stake_to_the_requester()
    {
        var paid = Plan(PaidRoundRevoked());
        var unpaid = Plan(PaidRoundRevoked().Where(e => e is not SettlementPosted).ToList());

        Assert.Equal(Payout, Sum(paid, Payer, "paid back"));
        Assert.Equal(0, Sum(unpaid, Payer, "paid back"));
    }

    [Fact]
    public void The_recomputation_is_charged_to_the_stake_at_the_locked_payout_per_recomputed_result()
    {
        var plan = Plan(PaidRoundRevoked());

        // Discarded rounds 0, 1 and 2 held 2 + 2 + 1 accepted results: each runs again.
        Assert.Equal(5, plan.RecomputedResults);
        Assert.Equal(5 * Payout, Sum(plan, Payer, "recomputation"));
        Assert.All(plan.Transfers.Where(t => t.Why.Contains("recomputation")),
            t => Assert.Equal(PurgePlan.Stake(Cheat), t.From));
    }

    [Fact]
    public void The_rerun_of_a_revoked_result_of_the_open_round_is_charged_to_the_stake_without_a_rollback()
    {
        List<IJobEvent> events =
        [
            Submitted(), .. RoundWithCheat(0), Started(1), .. Accepted(1, 0, 1, "honest-1", Honest),
            .. Accepted(1, 1, 2, "cheat-2", Cheat), Revoke(1, 1, 2, "cheat-2", Cheat, aggregated: false),
        ];

        var plan = Plan(events);

        Assert.Null(PurgeRules.Rollback(Timeline(events), T0));
        Assert.Equal(1, plan.RecomputedResults);
        Assert.Equal(Payout, Sum(plan, Payer, "recomputation"));
        Assert.Equal(0, plan.Out(PurgePlan.Escrow(JobId)));
    }

    [Theory]
    [InlineData(5000L, Slash)]
    [InlineData(3333L, 10_000_001L)]
    [InlineData(0L, Slash)]
    public void The_rest_of_the_slash_splits_between_the_requester_and_the_treasury_as_today(long bps, long slash)
    {
        var plan = Plan(PaidRoundRevoked(), Terms(slash: slash, shareBps: (int)bps));

        var requesterShare = slash * bps / 10_000; // ProviderStaking.slash: amount * requesterShareBps / 10,000
        Assert.Equal(requesterShare, Sum(plan, Payer, "the requester's share"));
        Assert.Equal(slash - requesterShare, Sum(plan, Treasury, "the treasury's share"));
    }

    [Fact]
    public void A_revoked_result_that_is_not_fraud_is_paid_back_and_recomputed_but_not_slashed()
    {
        var plan = Plan(PaidRoundRevoked(VerdictOutcome.Invalid));

        Assert.DoesNotContain(plan.Transfers, t => t.Why.Contains("slash"));
        Assert.Equal(Payout + 5 * Payout, plan.Out(PurgePlan.Stake(Cheat)));
    }

    [Fact]
    public void Honest_providers_of_discarded_rounds_are_paid_once_for_their_verified_work()
    {
        var plan = Plan(PaidRoundRevoked());

        // Round 0 was paid already; round 1 (Honest, Other) and round 2 (Honest) were not.
        Assert.Equal(2 * Payout, plan.In(Honest));
        Assert.Equal(Payout, plan.In(Other));
        Assert.All(plan.Transfers.Where(t => t.To is Honest or Other),
            t => Assert.Equal(PurgePlan.Escrow(JobId), t.From));
    }

    [Fact]
    public void The_convicted_key_earns_nothing_for_a_discarded_round_even_for_results_that_stand()
    {
        var plan = Plan(PaidRoundRevoked(round1: RoundWithCheat(1)));

        Assert.Equal(0, plan.In(Cheat));
        Assert.Equal(2 * Payout, plan.In(Honest));
    }

    [Fact]
    public void Honest_results_of_a_discarded_round_below_the_payment_threshold_are_not_paid()
    {
        IEnumerable<IJobEvent> round1 =
        [
            Started(1), .. Accepted(1, 0, 1, "honest-1", Honest),
            .. Rejected(1, 1, 1, "other-1", Other, VerdictOutcome.Unavailable), .. Accepted(1, 1, 2, "other-2", Other),
            RoundDone(1),
        ];

        var plan = Plan(PaidRoundRevoked(round1: round1));

        // Round 1: 2 of 3 honest verdicts accepted (67%): it stays unpaid; round 2's result is paid.
        Assert.Equal(Payout, plan.In(Honest));
        Assert.Equal(0, plan.In(Other));
    }

    [Fact]
    public void A_stake_too_small_pays_back_payouts_first_then_the_recomputation_and_reports_the_rest_as_shortfall()
    {
        var plan = Plan(PaidRoundRevoked(), Terms(stake: 3 * Payout));

        Assert.Equal(Payout, Sum(plan, Payer, "paid back"));
        Assert.Equal(2 * Payout, Sum(plan, Payer, "recomputation"));
        Assert.DoesNotContain(plan.Transfers, t => t.Why.Contains("slash"));
        Assert.Equal(3 * Payout + Slash, plan.StakeShortfallMicros);
    }

    [Fact]
    public void A_purge_that_revokes_nothing_moves_no_money()
    {
        var plan = Plan(PaidRoundRevoked().Where(e => e is not ResultRevoked).ToList());

        Assert.Empty(plan.Transfers);
        Assert.Equal(0, plan.RecomputedResults);
        Assert.Equal(0, plan.StakeShortfallMicros);
    }

    public static TheoryData<long, bool> Stakes => new()
    {
        { 0, false }, { Payout, false }, { 3 * Payout, true }, { 6 * Payout + 1, false }, { 100_000_000, true },
    };

    [Theory]
    [MemberData(nameof(Stakes))]
    public void Every_purge_plan_balances_no_money_is_created_or_lost(long stake, bool otherRoundHasCheat)
    {
        var events = PaidRoundRevoked(round1: otherRoundHasCheat ? RoundWithCheat(1) : null);
        var timeline = Timeline(events);
        var plan = PurgeMoney.Plan(timeline, Cheat, PurgeRules.Rollback(timeline, T0), Terms(stake: stake));
        var balances = new Dictionary<string, long>
        {
            [PurgePlan.Stake(Cheat)] = stake, [PurgePlan.Escrow(JobId)] = timeline.EscrowRemainingMicros,
        };
        var before = balances.Values.Sum();

        foreach (var t in plan.Transfers)
        {
            Assert.True(t.Micros > 0, $"a transfer of {t.Micros} ({t.Why})");
            balances[t.From] = balances.GetValueOrDefault(t.From) - t.Micros;
            balances[t.To] = balances.GetValueOrDefault(t.To) + t.Micros;
        }

        Assert.Equal(before, balances.Values.Sum());
        Assert.All(balances, b => Assert.True(b.Value >= 0, $"{b.Key} ends at {b.Value}"));
        const long owed = Payout + 5 * Payout + Slash;
        Assert.Equal(owed, plan.Out(PurgePlan.Stake(Cheat)) + plan.StakeShortfallMicros);
        Assert.Equal(Deposit - 2 * Payout, timeline.EscrowRemainingMicros);
    }
}

using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>
/// What the job's ledger does with a purge: a revoked result loses its unpaid payee entry, a rolled-back round is paid
/// again under a new settlement id, and the convicted stake is charged what <see cref="PurgeMoney"/> plans, as
/// settlement orders fixed in the journal. A job nobody is convicted in settles exactly as before.
/// </summary>
public class LedgerPurgeTests
{
    private static string Id(string step) => EscrowIds.Hex(EscrowIds.SettlementId(JobId, step));

    private static IReadOnlyList<SettlementOrder> Due(JobState state) => state.SettlementsDue;

    /// <summary>Orders as text, every field that reaches the chain (records compare their payee lists by
    /// reference).</summary>
    private static List<string> Text(IEnumerable<SettlementOrder> orders) =>
        orders.Select(o => $"{o.SettlementId} {o.Kind} r{o.Round} {o.Accepted}/{o.Judged} " +
                           string.Join(",", o.Payees.Select(p => $"{p.WorkerId}:{p.Address}:{p.Micros}")) +
                           $" {o.Provider} {o.EvidenceHash} {o.Requester} {o.SlashMicros} {o.RequesterShareBps}")
            .ToList();

    /// <summary>Round 0 (cheater on shard 1) paid; round 1 honest, completed, its payout due but not confirmed; round
    /// 2 open with one honest result; then the cheater's round-0 result is revoked as fraud.</summary>
    private static List<IJobEvent> PaidRoundRevoked(VerdictOutcome outcome = VerdictOutcome.Fraud) =>
    [
        Submitted(), .. RoundWithCheat(0), Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)),
        .. HonestRound(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
        Revoke(0, 1, 1, "cheat-1", Cheat, outcome),
    ];

    /// <summary>The journal with the rollback its revocations call for, as the job would record it.</summary>
    private static List<IJobEvent> WithRollback(List<IJobEvent> events)
    {
        var rollback = PurgeRules.Rollback(Timeline(events), T0.AddHours(2));
        Assert.NotNull(rollback);
        return [.. events, rollback];
    }

    private static SettlementPosted Posted(SettlementOrder order) =>
        new(order, new SettlementSettled((Gensyn.Contracts.JobId)JobId, order.SettlementId, order.Kind, SettlementStatus.Confirmed, "0xtx",
            50_000, order.TotalMicros, "", T0.AddHours(3)), T0.AddHours(3));

    [Fact]
    public void A_job_nobody_cheats_on_settles_with_the_same_orders_and_amounts_as_before_purges()
    {
        List<IJobEvent> events = [Submitted(), .. HonestRound(0), .. HonestRound(1), .. HonestRound(2)];
        var state = State(events);

        var due = Due(state);

        // One payout per round under "round-R", each key its accepted results at the locked payout, 2 of 2 accepted.
        Assert.Equal([Id("round-0"), Id("round-1"), Id("round-2")], due.Select(o => o.SettlementId));
        Assert.All(due, o =>
        {
            Assert.Equal(SettlementKind.PayRound, o.Kind);
            Assert.Equal([(Honest, Payout), (Other, Payout)], o.Payees.Select(p => (p.Address, p.Micros)));
            Assert.Equal((2, 2), (o.Accepted, o.Judged));
            Assert.Null(o.SlashMicros);
        });
        // Once they are confirmed and the job completes, the escrow's release under "complete", and nothing else.
        var done = due.Aggregate(state, (s, o) => s.Apply(Posted(o)))
            .Apply(new JobCompleted(D("model"), 10, D("final"), 0.9, 0.1, null, T0.AddHours(4)));
        var close = Assert.Single(Due(done));
        Assert.Equal((Id("complete"), SettlementKind.Complete), (close.SettlementId, close.Kind));
        var snapshot = done.Ledger.ToSnapshot()!;
        Assert.Null(snapshot.Generations);
        Assert.Null(snapshot.Revoked);
        Assert.Null(snapshot.Held);
        // Verdicts are kept only while their round's payout is not due: none once every round is.
        Assert.Null(snapshot.Verdicts);
    }

    [Fact]
    public void A_revoked_result_of_a_round_whose_payout_is_not_due_loses_its_payee_entry()
    {
        var spec = JobSpecs.Shared.Get(Submitted().SpecYaml);
        var ledger = new JobLedger();
        List<IJobEvent> events =
        [
            Submitted(), Verdict(0, 0, 1, "honest-1", Honest, VerdictOutcome.Accepted),
            Verdict(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Accepted),
            Revoke(0, 1, 1, "cheat-1", Cheat, aggregated: false),
            Verdict(0, 1, 2, "other-1", Other, VerdictOutcome.Accepted),
        ];
        foreach (var e in events) ledger.Apply(e, spec, []);
        // The round then completes and is paid (as the escrow is shown: 2 of 2 standing results accepted).
        RoundView round = new(0, "", "", 0.5, [], [], Paid: true, Accepted: 2, Judged: 2);

        var payout = Assert.Single(ledger.Due((Gensyn.Contracts.JobId)JobId, [round], JobPhase.Running),
            o => o.Kind == SettlementKind.PayRound);

        Assert.Equal([Honest, Other], payout.Payees.Select(p => p.Address));
        Assert.Equal(2 * Payout, payout.TotalMicros);
    }

    [Fact]
    public void The_rerun_of_a_revoked_result_of_the_open_round_is_charged_to_the_stake_as_the_plan_charges_it()
    {
        List<IJobEvent> events =
        [
            Submitted(), .. RoundWithCheat(0), Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)), Started(1),
            .. Accepted(1, 0, 1, "honest-1", Honest), .. Accepted(1, 1, 2, "cheat-2", Cheat),
            Revoke(1, 1, 2, "cheat-2", Cheat, aggregated: false),
        ];
        var plan = PurgeMoney.Plan(Timeline(events), Cheat, null, Terms());

        var restitution = Assert.Single(Due(State(events)), o => o.IsRestitution);

        Assert.Equal(plan.Transfers.Where(t => t.To == Payer && !t.Why.Contains("slash")).Sum(t => t.Micros),
            restitution.SlashMicros);
        Assert.Equal(Payout, restitution.SlashMicros);
    }

    [Theory]
    [InlineData(VerdictOutcome.Fraud)]
    [InlineData(VerdictOutcome.Invalid)]
    public void A_rollback_charges_the_stake_the_restitution_the_plan_charges_and_slashes_fraud_as_today(
        VerdictOutcome outcome)
    {
        var events = WithRollback(PaidRoundRevoked(outcome));
        var timeline = Timeline(events[..^1]);
        var plan = PurgeMoney.Plan(timeline, Cheat, (RoundsRolledBack)events[^1], Terms());

        var due = Due(State(events));

        // Paid back (round 0's payout) and the recomputation (rounds 0, 1, 2: five results), all to the requester.
        var restitution = Assert.Single(due, o => o.IsRestitution);
        Assert.Equal(plan.Transfers.Where(t => t.To == Payer && !t.Why.Contains("slash")).Sum(t => t.Micros),
            restitution.SlashMicros);
        Assert.Equal(6 * Payout, restitution.SlashMicros);
        Assert.Equal((Cheat, Payer, JobLedger.RestitutionShareBps),
            (restitution.Provider, restitution.Requester, restitution.RequesterShareBps));
        // The fraud's slash: the configured amount, split as today, citing the revocation's own evidence.
        var slashes = due.Where(o => o is { Kind: SettlementKind.Slash, IsRestitution: false }).ToList();
        if (outcome == VerdictOutcome.Fraud)
        {
            var slash = Assert.Single(slashes);
            Assert.Equal(Revoke(0, 1, 1, "cheat-1", Cheat).EvidenceHash, slash.EvidenceHash);
            Assert.Null(slash.SlashMicros);
            Assert.Null(slash.RequesterShareBps);
            Assert.NotEqual(slash.EvidenceHash, restitution.EvidenceHash);
            // The stake pays in the plan's order: the restitution before the slash.
            Assert.True(due.ToList().IndexOf(restitution) < due.ToList().IndexOf(slash));
        }
        else Assert.Empty(slashes);
    }

    [Fact]
    public void Honest_work_of_discarded_rounds_is_paid_once_and_the_convicted_key_gets_nothing_for_it()
    {
        var events = WithRollback(PaidRoundRevoked());
        var timeline = Timeline(events[..^1]);
        var plan = PurgeMoney.Plan(timeline, Cheat, (RoundsRolledBack)events[^1], Terms());

        var payouts = Due(State(events)).Where(o => o.Kind == SettlementKind.PayRound).ToList();

        // Round 1's payout was due already: kept as it was. Round 2 (open): the honest result, 1 of 1 honest verdicts.
        Assert.Equal([Id("round-1"), Id("round-2")], payouts.Select(o => o.SettlementId));
        Assert.Equal((1, 1), (payouts[1].Accepted, payouts[1].Judged));
        foreach (var key in new[] { Honest, Other, Cheat })
            Assert.Equal(plan.In(key),
                payouts.SelectMany(o => o.Payees).Where(p => p.Address == key).Sum(p => p.Micros));
    }

    [Fact]
    public void A_rolled_back_round_is_paid_again_under_a_settlement_id_of_its_new_generation()
    {
        var events = WithRollback(PaidRoundRevoked());
        var held = Due(State(events)).Where(o => o.Kind == SettlementKind.PayRound).ToList();

        // Round 0 recomputed by honest keys.
        var again = State([.. events, .. held.Select(Posted), .. HonestRound(0)]);
        var payout = Assert.Single(Due(again), o => o.Kind == SettlementKind.PayRound);

        Assert.Equal(Id("round-0-g1"), payout.SettlementId);
        Assert.Equal(1, again.Ledger.GenerationOf(0));
        Assert.Equal([Honest, Other], payout.Payees.Select(p => p.Address));
        Assert.True(again.Ledger.Posted(Id("round-0")));
    }

    [Fact]
    public void A_payout_in_flight_when_its_round_is_discarded_is_still_recorded_when_it_settles()
    {
        var events = WithRollback(PaidRoundRevoked());
        var state = State(events);
        var order = Assert.Single(Due(state), o => o.SettlementId == Id("round-1"));
        var settled = Posted(order).Outcome;

        var decision = state.Decide(settled, new JobRules(), T0.AddHours(3));

        var posted = Assert.IsType<SettlementPosted>(Assert.Single(decision.Events));
        Assert.Equal(Text([order]), Text([posted.Order]));
        Assert.DoesNotContain(state.Apply(posted).SettlementsDue, o => o.SettlementId == order.SettlementId);
    }

    [Fact]
    public void The_same_purge_journalled_again_or_restored_from_a_snapshot_gives_the_same_orders()
    {
        var events = WithRollback(PaidRoundRevoked());
        var state = State(events);

        var twice = State([.. events[..^1], events[^2], events[^1]]);
        var restored = JobState.FromSnapshot(state.ToSnapshot());

        Assert.Equal(Text(Due(state)), Text(Due(twice)));
        Assert.Equal(Text(Due(state)), Text(Due(restored)));
        Assert.Equal(Due(state).Select(o => o.SettlementId).Distinct().Count(), Due(state).Count);
    }
}

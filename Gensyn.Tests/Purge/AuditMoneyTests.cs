using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>
/// An audit that revokes a result in a completed job's model: the job reopens and rolls back
/// (<see cref="JobState.ReopenDue"/>), and since its escrow closed at completion the convicted stake pays each
/// recomputed round (JobLedger.Audit.cs): a charge to the settlement account, a deposit of what it took into the
/// round's own escrow, then the round's payout from that escrow, each order only once the one before it is confirmed.
/// </summary>
public class AuditMoneyTests
{
    private static readonly JobCompleted Done = new(D("model"), 10, D("final"), 0.9, 0.1, null, T0.AddHours(1));

    private static string Id(string step) => EscrowIds.Hex(EscrowIds.SettlementId(JobId, step));

    private static SettlementPosted Posted(SettlementOrder order, long? micros = null,
                                           SettlementStatus status = SettlementStatus.Confirmed) =>
        new(order, new SettlementSettled((Gensyn.Contracts.JobId)JobId, order.SettlementId, order.Kind, status, "0xtx",
            50_000, micros ?? order.TotalMicros, "", T0.AddHours(5)), T0.AddHours(5));

    /// <summary>Two rounds with the cheater's result on shard 1 of each, both paid, the job completed and its escrow
    /// released; then the cheater is convicted elsewhere, the job is marked, and the audit revokes its round-0
    /// result.</summary>
    private static List<IJobEvent> AuditedJob()
    {
        List<IJobEvent> events =
        [
            Submitted(rounds: 2), .. RoundWithCheat(0), Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)),
            .. RoundWithCheat(1), Paid(1, ("honest-1", Honest), ("cheat-1", Cheat)), Done,
        ];
        var close = Assert.Single(State(events).SettlementsDue);
        Assert.Equal(SettlementKind.Complete, close.Kind);
        return
        [
            .. events, Posted(close, 0),
            new AuditDue(Cheat.ToLowerInvariant(), ConvictionGround.Fraud, "fraud in another job",
                "0x" + new string('e', 64), 2, T0.AddHours(2)),
            Revoke(0, 1, 1, "cheat-1", Cheat),
        ];
    }

    private static List<IJobEvent> Reopened()
    {
        var events = AuditedJob();
        var reopen = State(events).ReopenDue(Timeline(events), T0.AddHours(3));
        Assert.NotNull(reopen);
        return [.. events, .. reopen];
    }

    /// <summary>Round <paramref name="round"/> recomputed by the honest keys (the cheater is excluded).</summary>
    private static IEnumerable<IJobEvent> Recomputed(int round) =>
    [
        Started(round), .. Accepted(round, 0, 2, "honest-1", Honest), .. Accepted(round, 1, 2, "other-1", Other),
        RoundDone(round),
    ];

    [Fact]
    public void Payees_are_paid_in_order_while_the_stake_s_money_lasts()
    {
        List<SettlementPayee> payees = [new("a", Honest, 10), new("b", Other, 10), new("c", Payer, 10)];

        Assert.Equal([10L, 10, 10], AuditMoney.Capped(payees, 50).Select(p => p.Micros));
        Assert.Equal([10L, 5], AuditMoney.Capped(payees, 15).Select(p => p.Micros));
        Assert.Empty(AuditMoney.Capped(payees, 0));
        Assert.Empty(AuditMoney.Capped(payees, -3));
    }

    [Fact]
    public void An_audit_s_revocation_of_a_result_in_the_model_reopens_the_completed_job_and_rolls_it_back()
    {
        var events = AuditedJob();
        var reopen = State(events).ReopenDue(Timeline(events), T0.AddHours(3))!;

        var reopened = Assert.IsType<JobReopened>(reopen[0]);
        var rollback = Assert.IsType<RoundsRolledBack>(reopen[1]);
        Assert.Equal((0, 0), (reopened.FromRound, rollback.FromRound));
        Assert.Equal([0, 1], rollback.DiscardedRounds);
        Assert.Equal(rollback.EvidenceHash, reopened.EvidenceHash);
        var state = State([.. events, .. reopen]);
        Assert.Equal((JobPhase.Running, 0, false), (state.Phase, state.CompletedRounds, state.IsTerminal));
        Assert.Null(state.Result);
        Assert.Equal(NextStep.StartRound, state.Next());
    }

    [Fact]
    public void A_completed_job_without_an_audit_s_revocation_does_not_reopen_and_an_old_journal_recovers_completed()
    {
        var events = AuditedJob();
        // Without the audit's revocation (a journal from before audits recomputed): nothing to reopen.
        List<IJobEvent> unrevoked = [.. events.Take(events.Count - 1)];
        Assert.Null(State(unrevoked).ReopenDue(Timeline(unrevoked), T0.AddHours(3)));
        Assert.Equal(JobPhase.Completed, State(unrevoked).Phase);
        // A revocation of a key the job is not marked for (a running purge's) reopens nothing either.
        List<IJobEvent> unmarked = [.. events.Where(e => e is not AuditDue)];
        Assert.Null(State(unmarked).ReopenDue(Timeline(unmarked), T0.AddHours(3)));
        // A job that is running is rolled back by a purge, not reopened.
        var reopened = Reopened();
        Assert.Null(State(reopened).ReopenDue(Timeline(reopened), T0.AddHours(4)));
    }

    [Fact]
    public void The_requester_is_paid_back_the_revoked_payout_and_is_charged_nothing_for_the_recomputation()
    {
        var due = State(Reopened()).SettlementsDue;

        // The restitution of the cheater's paid round-0 result, all of it to the requester: one payout, not the
        // recomputation (the stake pays that round by round), and the slash of the fraud; no payout from the job's
        // closed escrow.
        var restitution = Assert.Single(due, o => o.IsRestitution);
        Assert.Equal((Payer, Cheat, Payout), (restitution.Requester, restitution.Provider, restitution.SlashMicros));
        Assert.Single(due, o => o is { Kind: SettlementKind.Slash, SlashMicros: null, Provider: Cheat });
        Assert.DoesNotContain(due, o => o.Kind is SettlementKind.PayRound or SettlementKind.Deposit);
    }

    [Fact]
    public void A_recomputed_round_is_charged_to_the_stake_deposited_into_its_own_escrow_and_paid_from_it_in_order()
    {
        var state = State([.. Reopened(), .. Recomputed(0)]);
        state = state.SettlementsDue.Where(o => o.Round == 0 && o.Requester != SettlementOrder.SettlementAccount)
            .Aggregate(state, (s, o) => s.Apply(Posted(o)));

        // 1. The charge: the round's payout total, from the cheater's stake, all of it to the settlement account.
        var charge = Assert.Single(state.SettlementsDue);
        Assert.Equal((SettlementKind.Slash, Cheat, SettlementOrder.SettlementAccount, 2 * Payout, 10_000),
            (charge.Kind, charge.Provider, charge.Requester, charge.SlashMicros, charge.RequesterShareBps));
        Assert.Equal(Id("audit-charge-round-0-g1"), charge.SettlementId);

        // 2. Once it is confirmed, the deposit of what it took into the round's own escrow.
        state = state.Apply(Posted(charge, 2 * Payout));
        var deposit = Assert.Single(state.SettlementsDue);
        Assert.Equal((SettlementKind.Deposit, 2 * Payout, state.Ledger.AuditEscrow(0)),
            (deposit.Kind, deposit.DepositMicros, deposit.Escrow));
        Assert.NotEqual(EscrowIds.Hex(EscrowIds.JobKey(JobId)), deposit.Escrow);

        // 3. Once that is confirmed, the round's payout under its new generation's id, from that escrow, to the
        // honest keys that recomputed it.
        state = state.Apply(Posted(deposit, 2 * Payout));
        var payout = Assert.Single(state.SettlementsDue);
        Assert.Equal((SettlementKind.PayRound, Id("round-0-g1"), deposit.Escrow, 2 * Payout),
            (payout.Kind, payout.SettlementId, payout.Escrow, payout.TotalMicros));
        Assert.Equal([Honest, Other], payout.Payees.Select(p => p.Address));

        // Settled, nothing more is due for the round: the escrow received exactly what it paid out.
        state = state.Apply(Posted(payout));
        Assert.Empty(state.SettlementsDue);
        Assert.Equal(charge.SlashMicros, payout.TotalMicros);
    }

    [Fact]
    public void A_stake_that_gave_less_pays_the_payees_in_order_as_far_as_it_goes_and_one_that_gave_nothing_none()
    {
        var state = State([.. Reopened(), .. Recomputed(0)]);
        state = state.SettlementsDue.Where(o => o.Requester != SettlementOrder.SettlementAccount)
            .Aggregate(state, (s, o) => s.Apply(Posted(o)));
        var charge = Assert.Single(state.SettlementsDue);

        var partly = state.Apply(Posted(charge, Payout + 5));
        var deposit = Assert.Single(partly.SettlementsDue);
        Assert.Equal(Payout + 5, deposit.DepositMicros);
        var payout = Assert.Single(partly.Apply(Posted(deposit)).SettlementsDue);
        Assert.Equal([Payout, 5L], payout.Payees.Select(p => p.Micros));

        // The stake had nothing left (or the job is escrowed in another token): no deposit, no payout.
        Assert.Empty(state.Apply(Posted(charge, 0, SettlementStatus.Skipped)).SettlementsDue);
    }

    [Fact]
    public void The_audit_s_orders_survive_a_snapshot_with_the_same_ids()
    {
        var state = State([.. Reopened(), .. Recomputed(0)]);
        var restored = Gensyn.Actors.Settlement.JobLedger.FromSnapshot(state.Ledger.ToSnapshot(), state.Ledger.Price,
            state.SpecYaml, state.Spec, state.JobId);

        Assert.Equal(state.Ledger.Due(state.JobId, state.History, state.Phase).Select(o => o.SettlementId),
            restored.Due(state.JobId, state.History, state.Phase).Select(o => o.SettlementId));
        Assert.Contains(restored.Due(state.JobId, state.History, state.Phase),
            o => o.SettlementId == Id("audit-charge-round-0-g1"));
    }
}

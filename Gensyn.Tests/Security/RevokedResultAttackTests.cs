using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// P1: a cheater that gets a bad result accepted, and is caught later, keeps nothing it earned from the job's discarded
/// rounds. Before the ledger knew of purges, the open round still paid the revoked result, and a payout already on its
/// way for a round that the rollback discarded stayed with the cheater.
/// </summary>
public class RevokedResultAttackTests
{
    [Fact]
    public void A_revoked_result_of_the_open_round_is_not_paid_when_the_round_is()
    {
        var spec = JobSpecs.Shared.Get(Submitted().SpecYaml);
        var ledger = new JobLedger();
        IJobEvent[] events =
        [
            Submitted(), Verdict(0, 0, 1, "honest-1", Honest, VerdictOutcome.Accepted),
            Verdict(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Accepted),
            Revoke(0, 1, 1, "cheat-1", Cheat, aggregated: false),
            Verdict(0, 1, 2, "other-1", Other, VerdictOutcome.Accepted),
        ];
        foreach (var e in events) ledger.Apply(e, spec, []);
        RoundView round = new(0, "", "", 0.5, [], [], Paid: true, Accepted: 2, Judged: 2);

        var due = ledger.Due((Gensyn.Contracts.JobId)JobId, [round], JobPhase.Running);

        Assert.DoesNotContain(due.Where(o => o.Kind == SettlementKind.PayRound).SelectMany(o => o.Payees),
            p => p.Address == Cheat);
    }

    /// <summary>
    /// Round 0 paid with the cheater's bad result; round 1's payout, naming the cheater for a result that passed its
    /// re-verification, already sent when round 0's result is revoked and the job rolls back to round 0. That payout
    /// cannot be called back, so the stake pays it back: the cheater's net gain from the job, and the requester's net
    /// cost, are what the purge plan says (nothing for a discarded round).
    /// </summary>
    [Fact]
    public void A_payout_already_on_its_way_for_a_discarded_round_is_taken_back_out_of_the_cheaters_stake()
    {
        List<IJobEvent> events =
        [
            Submitted(), .. RoundWithCheat(0), Paid(0, ("honest-1", Honest), ("cheat-1", Cheat)),
            .. RoundWithCheat(1), Started(2), .. Accepted(2, 0, 1, "honest-1", Honest),
            Revoke(0, 1, 1, "cheat-1", Cheat),
        ];
        var rollback = PurgeRules.Rollback(Timeline(events), T0.AddHours(2))!;
        var plan = PurgeMoney.Plan(Timeline(events), Cheat, rollback, Terms());

        var due = State([.. events, rollback]).SettlementsDue;

        var toCheat = due.Where(o => o.Kind == SettlementKind.PayRound).SelectMany(o => o.Payees)
            .Where(p => p.Address == Cheat).Sum(p => p.Micros);
        var fromStake = due.Where(o => o.IsRestitution).Sum(o => o.SlashMicros ?? 0);
        var fromEscrow = due.Where(o => o.Kind == SettlementKind.PayRound).Sum(o => o.TotalMicros);
        Assert.True(toCheat > 0, "the scenario has a payout to the cheater on its way");
        var planned = plan.Transfers.Where(t => !t.Why.Contains("slash")).ToList();
        Assert.Equal(planned.Where(t => t.To == Cheat).Sum(t => t.Micros)
                     - planned.Where(t => t.From == PurgePlan.Stake(Cheat)).Sum(t => t.Micros),
            toCheat - fromStake);
        Assert.Equal(planned.Where(t => t.To == Payer).Sum(t => t.Micros) - plan.Out(PurgePlan.Escrow(JobId)),
            fromStake - fromEscrow);
    }
}

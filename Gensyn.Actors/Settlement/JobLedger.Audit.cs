using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// An audit's money. A job an audit reopens (<see cref="JobReopened"/>) closed its escrow when it first completed, so
/// the recomputation cannot be paid from it; the convicted stake pays instead, round by round, with the contracts as
/// they are and every step under a settlement id or evidence hash the chain accepts once:
/// <list type="number">
/// <item>the rollback's restitution to the requester covers only the payouts made for the revoked results (the
/// recomputation is not charged up front: it is charged as it is done);</item>
/// <item>each recomputed round whose payout is due (match rate at least 95%) charges its payout total to the convicted
/// stake: a slash with all of it to the settlement account ("audit charge", its own evidence hash);</item>
/// <item>once that slash is confirmed, the settlement account deposits what it took into an escrow of the round's
/// own (its key: <see cref="AuditEscrow"/>), and only then the round's payout ("round-R-gN") is paid from that
/// escrow, capped at what the stake gave, to the honest keys that recomputed it.</item>
/// </list>
/// The escrow is filled with exactly what the slash took and emptied by the payout, so nothing stays with the
/// settlement account. A stake that cannot pay (none left, or a job escrowed in a token other than GENS) pays nothing
/// and the round is not paid; status shows the skipped charge.
/// </summary>
public sealed partial class JobLedger
{
    /// <summary>The job's escrow closed and an audit reopened it: rollbacks from now on are funded by the convicted
    /// stake.</summary>
    private bool _reopened;

    /// <summary>Rounds the convicted stake pays the recomputation of, with the convicted key.</summary>
    private readonly Dictionary<int, string> _auditRounds = [];

    /// <summary>Whether round <paramref name="round"/>'s payout comes from an audit's escrow.</summary>
    private bool AuditFunded(int round) => _auditRounds.ContainsKey(round);

    /// <summary>
    /// Whether rollback <paramref name="b"/> is an audit's (the job was reopened): then the rounds it discards are paid
    /// for, as they are recomputed, by <paramref name="convicted"/>'s stake, and the rollback charges none of it.
    /// </summary>
    private bool AuditFunds(RoundsRolledBack b, string convicted)
    {
        if (!_reopened) return false;
        foreach (var round in b.DiscardedRounds) _auditRounds.TryAdd(round, convicted);
        return true;
    }

    /// <summary>The escrow key (hex) of round <paramref name="round"/>'s recomputation in its current
    /// generation.</summary>
    public string AuditEscrow(int round) => Id(JobId, $"audit-escrow-{RoundStep(round)}");

    /// <summary>The orders the recomputed rounds need, each only once the one before it is confirmed: the charge,
    /// the deposit, the payout.</summary>
    private IEnumerable<SettlementOrder> AuditOrders(IReadOnlyList<RoundView> history)
    {
        foreach (var round in history.Where(r => r.Paid && _payees.ContainsKey(r.Round) && AuditFunded(r.Round)))
        {
            var payout = RoundPayout(JobId, round);
            var step = RoundStep(round.Round);
            var convicted = _auditRounds[round.Round];
            var charge = AuditCharge(convicted, round.Round, step, payout.TotalMicros);
            if (!_posted.TryGetValue(charge.SettlementId, out var charged))
            {
                yield return charge;
                continue;
            }
            var took = charged.Outcome.Status == SettlementStatus.Confirmed ? charged.Outcome.AmountMicros : 0;
            if (took <= 0) continue;
            var deposit = new SettlementOrder(Id(JobId, $"audit-deposit-{step}"), JobId, SettlementKind.Deposit,
                round.Round, [], 0, 0, Escrow: AuditEscrow(round.Round), DepositMicros: took);
            if (!_posted.TryGetValue(deposit.SettlementId, out var deposited))
            {
                yield return deposit;
                continue;
            }
            if (deposited.Outcome.Status != SettlementStatus.Confirmed) continue;
            var payees = AuditMoney.Capped(payout.Payees, took);
            if (payees.Count > 0)
                yield return payout with { Payees = payees, Escrow = AuditEscrow(round.Round) };
        }
    }

    /// <summary>The charge of a recomputed round's payout to the convicted stake, all of it to the settlement
    /// account.</summary>
    private SettlementOrder AuditCharge(string convicted, int round, string step, long micros)
    {
        var id = $"audit-charge-{step}";
        var evidence = EscrowIds.Hex(EscrowIds.EvidenceHash(RestitutionEvidence(JobId, id, convicted, micros)));
        return new SettlementOrder(Id(JobId, id), JobId, SettlementKind.Slash, round, [], 0, 0, Provider: convicted,
            EvidenceHash: evidence, Requester: SettlementOrder.SettlementAccount, SlashMicros: micros,
            RequesterShareBps: RestitutionShareBps);
    }

    private LedgerAudit? AuditSnapshot() => !_reopened && _auditRounds.Count == 0
        ? null
        : new LedgerAudit(_reopened, _auditRounds.OrderBy(r => r.Key).Select(r => new AuditRound(r.Key, r.Value))
            .ToList());

    private void RestoreAudit(LedgerAudit? audit)
    {
        if (audit is null) return;
        _reopened = audit.Reopened;
        foreach (var r in audit.Rounds) _auditRounds[r.Round] = r.Convicted;
    }
}

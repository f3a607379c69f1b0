using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// Who is paid for an audit's recomputation, with no actors in it: each recomputed round's payout comes from what
/// the convicted stake gave for it, so its payees are paid in order as far as that goes (JobLedger.Audit.cs moves
/// the money).
/// </summary>
public static class AuditMoney
{
    /// <summary><paramref name="payees"/>, in order, each paid what it earned while <paramref name="budgetMicros"/>
    /// lasts: the one it runs out on gets the rest, those after it nothing (and are left out).</summary>
    public static IReadOnlyList<SettlementPayee> Capped(IReadOnlyList<SettlementPayee> payees, long budgetMicros)
    {
        var left = Math.Max(0, budgetMicros);
        var paid = new List<SettlementPayee>();
        foreach (var payee in payees)
        {
            var micros = Math.Min(payee.Micros, left);
            if (micros <= 0) break;
            left -= micros;
            paid.Add(payee with { Micros = micros });
        }
        return paid;
    }
}

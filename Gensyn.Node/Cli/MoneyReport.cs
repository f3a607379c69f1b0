using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using static Gensyn.Node.Cli.JobReport;

namespace Gensyn.Node.Cli;

/// <summary>
/// A job's money for people: totals per payee (what `status JOB`, the end of `watch` and `result` show), and every
/// transaction with its hash, gas and payees (`status JOB --money`).
/// </summary>
public static class MoneyReport
{
    /// <summary>
    /// The deposit and its payer; what each worker was paid, each provider slashed, the requester refunded; any
    /// settlement that reverted, and those still pending. Amounts are right-aligned.
    /// </summary>
    public static void PrintTotals(MoneyView m, TextWriter o)
    {
        var rows = new List<(string Label, long? Micros, string Text)>
        {
            ("deposited", m.DepositMicros, $"by {m.Payer}"),
        };
        var paid = m.PaidPerWorker();
        rows.AddRange(paid.Select(p => ("paid", (long?)p.Micros, $"to {p.WorkerId} {p.Address}")));
        if (paid.Count == 0) rows.Add(("paid", null, "nothing to workers yet"));
        foreach (var slash in Confirmed(m, SettlementKind.Slash).GroupBy(s => s.Provider ?? "?"))
            rows.Add(("slashed", slash.Sum(s => s.AmountMicros), $"from {slash.Key}'s stake ({Count(slash.Count())})"));
        var audits = Confirmed(m, SettlementKind.Deposit).ToList();
        if (audits.Count > 0)
            rows.Add(("audit fund", audits.Sum(s => s.AmountMicros), "deposited for the audit's recomputation"));
        rows.Add(Released(m)
            ? ("refunded", m.RefundedMicros, $"to {m.Payer}")
            : ("refunded", null, "nothing yet: the escrow refunds what is left when the job ends"));
        var amounts = Aligned(rows.Where(r => r.Micros is not null).Select(r => r.Micros!.Value));
        foreach (var (label, micros, text) in rows)
            Row(o, label, micros is { } amount ? $"{amounts[amount]} GENS {text}" : text);
        foreach (var s in m.Settlements.Where(s => s.Status == SettlementStatus.Reverted))
            Row(o, "reverted", $"{s.Label}: {s.Reason}");
        if (m.Pending.Count > 0)
            Row(o, "pending", string.Join(", ", m.Pending.Take(ItemsShown)) +
                              (m.Pending.Count > ItemsShown ? $" and {m.Pending.Count - ItemsShown} more" : ""));
    }

    /// <summary>
    /// Every settlement in the order it was sent, one line each (label, status, amount, gas, the full transaction
    /// hash), with what it paid to whom on the lines under it.
    /// </summary>
    public static void PrintTransactions(MoneyView m, TextWriter o)
    {
        if (m.Settlements.Count == 0)
        {
            o.WriteLine("  no transactions yet");
            return;
        }
        var labelWidth = Math.Min(24, m.Settlements.Max(s => s.Label.Length));
        var amounts = Aligned(m.Settlements.Select(s => s.AmountMicros));
        var amountWidth = Math.Max(4, amounts.Values.Max(a => a.Length));
        o.WriteLine($"  {"transaction".PadRight(labelWidth)}  {"status",-9}  {"GENS".PadRight(amountWidth)}  " +
                    $"{"gas",9}  hash");
        foreach (var s in m.Settlements)
        {
            var gas = s.GasUsed == 0 ? "-" : s.GasUsed.ToString("N0", Invariant);
            o.WriteLine($"  {s.Label.PadRight(labelWidth)}  {Lower(s.Status),-9}  " +
                        $"{amounts[s.AmountMicros].PadRight(amountWidth)}  {gas,9}  {s.TxHash ?? "-"}");
            foreach (var line in Details(m, s)) o.WriteLine($"      {line}");
        }
    }

    /// <summary>What a settlement moved, and to whom; why one reverted or was skipped.</summary>
    private static IEnumerable<string> Details(MoneyView m, SettlementView s)
    {
        switch (s.Kind)
        {
            case SettlementKind.PayRound:
                foreach (var p in s.Payees) yield return $"{Gens.Format(p.Micros)} GENS to {p.WorkerId} {p.Address}";
                break;
            case SettlementKind.Slash:
                yield return $"from {s.Provider}'s stake" +
                             (s.EvidenceHash is null ? "" : $", evidence {s.EvidenceHash}") +
                             (s.RequestedMicros is { } asked ? $", {Gens.Format(asked)} GENS asked" : "");
                break;
            case SettlementKind.Deposit:
                yield return "into the audit's own escrow, from the convicted stake";
                break;
            default:
                yield return $"the rest refunded to {m.Payer}";
                break;
        }
        if (s.Status != SettlementStatus.Confirmed && s.Reason.Length > 0)
            yield return $"{Lower(s.Status)}: {s.Reason}";
    }

    /// <summary>Each amount as GENS, its decimal point under the others' ("  5   ", "  0.4 ", " 12.25").</summary>
    private static Dictionary<long, string> Aligned(IEnumerable<long> micros)
    {
        var parts = micros.Distinct().ToDictionary(m => m, m =>
        {
            var text = Gens.Format(m);
            var point = text.IndexOf('.');
            return point < 0 ? (Whole: text, Fraction: "") : (Whole: text[..point], Fraction: text[point..]);
        });
        var whole = parts.Values.Select(p => p.Whole.Length).DefaultIfEmpty(0).Max();
        var fraction = parts.Values.Select(p => p.Fraction.Length).DefaultIfEmpty(0).Max();
        return parts.ToDictionary(p => p.Key, p => p.Value.Whole.PadLeft(whole) + p.Value.Fraction.PadRight(fraction));
    }

    /// <summary>Whether the job's escrow was released (completed or cancelled): what was left went back to the
    /// payer.</summary>
    private static bool Released(MoneyView m) =>
        m.Settlements.Any(s =>
            s is { Kind: SettlementKind.Complete or SettlementKind.Cancel, Status: SettlementStatus.Confirmed });

    private static IEnumerable<SettlementView> Confirmed(MoneyView m, SettlementKind kind) =>
        m.Settlements.Where(s => s.Kind == kind && s.Status == SettlementStatus.Confirmed);

    private static string Count(int transactions) =>
        transactions == 1 ? "1 transaction" : $"{transactions} transactions";
}

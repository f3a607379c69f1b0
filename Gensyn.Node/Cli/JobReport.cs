using System.Globalization;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>
/// What `status JOB` and the end of `watch` print, one screen whatever the job's size: its state and time, rounds,
/// verification, accuracy, digest, price, money as totals per payee (<see cref="MoneyReport.PrintTotals"/>), the last
/// rounds one line each, any rejections, purges and audits in a few lines, the open round's shards while it runs, and
/// the commands to run next. Every transaction is behind `status JOB --money`; `--json` prints the whole view.
/// </summary>
public static class JobReport
{
    /// <summary>How many rounds the round table shows (the last ones); the earlier ones are counted.</summary>
    public const int RoundsShown = 8;

    /// <summary>How many rejections or purge steps are shown one per line before the rest are counted.</summary>
    public const int ItemsShown = 3;

    /// <summary>How many of the open round's shards are shown one per line before the rest are counted.</summary>
    public const int ShardsShown = 8;

    /// <param name="now">The clock a queued or running job's time is measured against (default: now).</param>
    public static void Print(JobView j, TextWriter o, DateTimeOffset? now = null)
    {
        if (IsSummary(j))
        {
            o.WriteLine($"job {j.JobId}: {Lower(j.State)}, round {Math.Min(j.Round + 1, j.Rounds)}/{j.Rounds}, " +
                        $"match rate {Percent(j.MatchRate, 1)} (the public summary: only the wallet that " +
                        "submitted it sees more)");
            return;
        }
        o.WriteLine(Header(j, now ?? DateTimeOffset.UtcNow));
        PrintProgress(j, o);
        if (j.Money is { } money) MoneyReport.PrintTotals(money, o);
        if (!j.IsInference) PrintRounds(j, o);
        PrintRejections(j, o);
        PrintPurges(j, o);
        foreach (var a in j.Audit ?? [])
            Row(o, "audit due", $"key {a.Address}, whose {a.Results} result(s) are in this model, was convicted " +
                                $"({a.Ground}); `gensyn audit {j.JobId}` re-verifies them");
        if (j.State is JobPhase.Queued or JobPhase.Running) PrintShards(j, o);
        PrintNext(j, o);
    }

    /// <summary>The whole of <see cref="Print"/>'s output, as lines.</summary>
    public static IReadOnlyList<string> Lines(JobView j, DateTimeOffset? now = null)
    {
        var o = new StringWriter();
        Print(j, o, now);
        return o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
    }

    /// <summary>The view the edge shows a caller that did not submit the job
    /// (<c>RequesterEdgeService.Summary</c>).</summary>
    public static bool IsSummary(JobView j) => j.Name.Length == 0 && j.ShardsPerRound == 0 && j.Owner is null;

    /// <summary>"job ID (name): completed in 1m 32s", with a failed job's reason.</summary>
    internal static string Header(JobView j, DateTimeOffset now)
    {
        var time = j.State switch
        {
            JobPhase.Completed when j.FinishedAt is { } end => $" in {Duration(end - j.SubmittedAt)}",
            JobPhase.Failed or JobPhase.Cancelled when j.FinishedAt is { } end =>
                $" after {Duration(end - j.SubmittedAt)}",
            JobPhase.Queued or JobPhase.Running => $" for {Duration(now - j.SubmittedAt)}",
            _ => "",
        };
        return $"job {j.JobId} ({j.Name}): {Lower(j.State)}{time}{(j.Reason is null ? "" : $" — {j.Reason}")}";
    }

    private static void PrintProgress(JobView j, TextWriter o)
    {
        o.WriteLine(j.IsInference
            ? $"  inference over {j.ShardsPerRound} shard(s){(j.RoundHistory.Count > 0 ? ", predictions joined" : "")}"
            : $"  {"rounds",-11} {j.RoundHistory.Count}/{j.Rounds} done, " +
              $"{j.ShardsPerRound} shards x {j.InnerSteps} steps");
        var judged = j.Verdicts?.Count ?? 0;
        var accepted = j.Verdicts?.Count(v => v.Outcome == VerdictOutcome.Accepted) ?? 0;
        Row(o, "verified", I($"{accepted} of {judged} results accepted (match rate {Percent(j.MatchRate, 1)}); ") +
                           I($"verifier {j.VerifySeconds:F1} s for {j.TrainSeconds:F1} s of training"));
        if (j.TestAccuracy is { } accuracy)
            Row(o, "accuracy", I($"{Percent(accuracy, 2)}, {(j.IsInference ? "mean" : "test")} loss {j.TestLoss:F4}") +
                               (j.TestPerplexity is { } p ? I($", perplexity {p:F2}") : ""));
        if (j.FinalDigest is not null) Row(o, "digest", j.FinalDigest);
        if (j.Price is { } price)
            Row(o, "price", $"{Gens.Format(price.ResultPayoutMicros)} GENS per accepted result " +
                            I($"({price.PricePerHour:0.######} GENS per compute-hour, locked at the start)"));
    }

    /// <summary>One line per round, the last <see cref="RoundsShown"/> of them.</summary>
    private static void PrintRounds(JobView j, TextWriter o)
    {
        if (j.RoundHistory.Count == 0) return;
        o.WriteLine("  round  mean loss  match  paid  checkpoint        workers");
        var hidden = j.RoundHistory.Count - RoundsShown;
        if (hidden > 0)
            o.WriteLine($"    ... {hidden} earlier round(s) not shown " +
                        $"(`gensyn status {j.JobId} --json` lists every round)");
        foreach (var r in j.RoundHistory.Skip(Math.Max(0, hidden)))
        {
            var digest = r.CheckpointDigest.Length > 16 ? r.CheckpointDigest[..16] : r.CheckpointDigest;
            o.WriteLine(I($"  {r.Round + 1,5}  {r.MeanLoss,9:F4}  {Percent(r.MatchRate, 0),5}  ") +
                        $"{(r.Paid ? "yes" : "no"),4}  {digest,-16}  {Workers(r.Workers)}");
        }
    }

    /// <summary>Rejected results: a count per worker, then the first few with their reasons.</summary>
    private static void PrintRejections(JobView j, TextWriter o)
    {
        var rejected = (j.Verdicts ?? []).Where(v => v.Outcome != VerdictOutcome.Accepted).ToList();
        if (rejected.Count == 0) return;
        var byWorker = rejected.GroupBy(v => v.WorkerId).Select(g =>
            $"{g.Key} ({string.Join(", ", g.GroupBy(v => v.Outcome).Select(k => $"{k.Count()} {Lower(k.Key)}"))})");
        Row(o, "rejected", $"{rejected.Count} result(s): {string.Join(", ", byWorker)}");
        foreach (var v in rejected.Take(ItemsShown))
            o.WriteLine($"    round {v.Round + 1} shard {v.Shard}, {v.WorkerId}: {Lower(v.Outcome)}: {v.Reason}");
        if (rejected.Count > ItemsShown)
            o.WriteLine($"    ... and {rejected.Count - ItemsShown} more (`gensyn logs {j.JobId}` lists every one)");
    }

    /// <summary>What purging a convicted key did to the job: a count, then the first few steps.</summary>
    private static void PrintPurges(JobView j, TextWriter o)
    {
        if (j.Purges is not { Count: > 0 } purges) return;
        var revoked = purges.Count(p => p.Action == "revoked");
        Row(o, "purged", $"{revoked} result(s) revoked, {purges.Count(p => p.Action == "rolled-back")} rollback(s)" +
                         $"{(purges.Any(p => p.Action == "reopened") ? ", reopened by an audit" : "")}");
        foreach (var p in purges.Take(ItemsShown))
        {
            var what = p.Action switch
            {
                "revoked" => $"revoked round {p.Round + 1} shard {p.Shard} of {p.WorkerId}",
                "rolled-back" => $"rolled back to round {p.Round + 1}, {p.DiscardedRounds.Count} round(s) discarded" +
                                 (p.RecomputedSeconds is { } took ? I($", recomputed in {took:F0} s") : ""),
                _ => $"{p.Action} from round {p.Round + 1}",
            };
            o.WriteLine($"    {what}: {p.Reason}");
        }
        if (purges.Count > ItemsShown)
            o.WriteLine($"    ... and {purges.Count - ItemsShown} more " +
                        $"(`gensyn status {j.JobId} --json` lists every one)");
    }

    /// <summary>While the job runs: why shards wait, and the open round's shards, one line each.</summary>
    private static void PrintShards(JobView j, TextWriter o)
    {
        var waiting = j.Shards.Count(s => s.State == "waiting");
        if (waiting > 0)
        {
            var why = j.Shards.Select(s => s.Waiting).FirstOrDefault(w => w is not null);
            o.WriteLine($"  {waiting} shard(s) waiting for a worker{(why is null ? "" : $": {why}")} " +
                        "(`gensyn workers` lists the registered ones)");
        }
        if (j.Shards.Count == 0) return;
        o.WriteLine($"  shard  state      worker            epoch  {(j.IsInference ? "batch" : "step"),-9}  loss");
        foreach (var s in j.Shards.Take(ShardsShown))
            o.WriteLine(I($"  {s.Shard,5}  {s.State,-9}  {s.WorkerId ?? "-",-16}  {s.Epoch,5}  ") +
                        I($"{$"{s.Step}/{s.InnerSteps}",-9}  {(s.Loss is { } l ? l.ToString("F4", Invariant) : "-")}"));
        if (j.Shards.Count > ShardsShown)
        {
            var rest = j.Shards.Skip(ShardsShown).GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}");
            o.WriteLine($"    ... and {j.Shards.Count - ShardsShown} more: {string.Join(", ", rest)}");
        }
    }

    /// <summary>The commands that make sense after this state, aligned.</summary>
    private static void PrintNext(JobView j, TextWriter o)
    {
        var id = j.JobId;
        var next = new List<(string Command, string What)>();
        switch (j.State)
        {
            case JobPhase.Completed:
                next.Add(($"gensyn result {id}",
                          j.IsInference ? "download the predictions (CSV)" : "download the model"));
                break;
            case JobPhase.Queued or JobPhase.Running:
                next.Add(($"gensyn watch {id}", "follow it until it ends"));
                break;
            default:
                next.Add(($"gensyn logs {id}", "what happened, one line per event"));
                break;
        }
        if (j.Money is not null) next.Add(($"gensyn status {id} --money", "every transaction: hash, gas, payees"));
        next.Add(($"gensyn dashboard {id}", "the job's page: loss chart, shard map, money"));
        if (j.State is JobPhase.Queued or JobPhase.Running) next.Add(($"gensyn cancel {id}", "stop it"));
        var width = next.Max(n => n.Command.Length);
        for (var i = 0; i < next.Count; i++)
            o.WriteLine($"  {(i == 0 ? "next" : ""),-11} {next[i].Command.PadRight(width)}   {next[i].What}");
    }

    /// <summary>Up to three worker ids, then how many more.</summary>
    private static string Workers(IReadOnlyList<string> workers)
    {
        var distinct = workers.Distinct().ToList();
        return distinct.Count <= 3 ? string.Join(", ", distinct)
            : $"{string.Join(", ", distinct.Take(2))} and {distinct.Count - 2} more";
    }

    internal static void Row(TextWriter o, string label, string text) => o.WriteLine($"  {label,-11} {text}");

    internal static string Lower<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    internal static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    internal static string I(FormattableString text) => text.ToString(Invariant);

    /// <summary>0.9123 as "91.23%" (the invariant culture's "P" puts a space before the sign).</summary>
    internal static string Percent(double fraction, int decimals) =>
        (fraction * 100).ToString("F" + decimals, Invariant) + "%";

    /// <summary>"45s", "1m 32s", "2h 05m".</summary>
    internal static string Duration(TimeSpan t) =>
        t < TimeSpan.Zero ? "0s"
        : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:00}m"
        : t.TotalMinutes >= 1 ? $"{t.Minutes}m {t.Seconds:00}s"
        : $"{t.Seconds}s";
}

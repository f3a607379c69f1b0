using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn status [JOB]</c>: a table of jobs, or one job's rounds and shards.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("job") { Description = "A job id (omit to list every job)", Arity = ArgumentArity.ZeroOrOne };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("status", "Show jobs, or one job's rounds, shards, workers, loss and accuracy") { job, coordinator, json, key };
        command.SetAction(async parse =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var id = parse.GetValue(job);
            var reply = await client.Ask(id is null ? new ListJobs() : new GetJobStatus((JobId)id));
            switch (reply)
            {
                case JobList list when parse.GetValue(json):
                    Console.WriteLine(ClusterCli.JsonOf(new { jobs = list.Jobs }));
                    return ExitCodes.Success;
                case JobList list:
                    PrintTable(list.Jobs);
                    return ExitCodes.Success;
                case JobView view when parse.GetValue(json):
                    Console.WriteLine(ClusterCli.JsonOf(view));
                    return ExitCodes.Success;
                case JobView view:
                    PrintJob(view);
                    return ExitCodes.Success;
                default:
                    return ClusterCli.Fail(reply);
            }
        });
        return command;
    }

    private static void PrintTable(IReadOnlyList<JobView> jobs)
    {
        if (jobs.Count == 0)
        {
            Console.WriteLine("no jobs yet; submit one with `gensyn submit examples/mnist-mlp.yaml`");
            return;
        }
        var table = new Table().AddColumns("JOB", "NAME", "STATE", "ROUND", "ACCURACY", "SUBMITTED");
        foreach (var j in jobs.OrderBy(j => j.SubmittedAt))
            table.AddRow(j.JobId, Markup.Escape(j.Name), State(j.State), $"{Math.Min(j.Round + 1, j.Rounds)}/{j.Rounds}",
                j.TestAccuracy is { } a ? $"{a:P2}" : "-", j.SubmittedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
        AnsiConsole.Write(table);
    }

    internal static void PrintJob(JobView j)
    {
        Console.WriteLine($"job {j.JobId} ({j.Name}): {Lower(j.State)}{(j.Reason is null ? "" : $" — {j.Reason}")}");
        Console.WriteLine(j.IsInference
            ? $"  inference over {j.ShardsPerRound} shard(s){(j.RoundHistory.Count > 0 ? ", predictions joined" : "")} (`gensyn result {j.JobId}` downloads the predictions CSV)"
            : $"  rounds {j.RoundHistory.Count}/{j.Rounds} done, {j.ShardsPerRound} shards x {j.InnerSteps} steps per round");
        var judged = j.Verdicts?.Count ?? 0;
        var rejected = j.Verdicts?.Count(v => v.Outcome != VerdictOutcome.Accepted) ?? 0;
        Console.WriteLine($"  match rate {j.MatchRate:P1} ({judged - rejected} of {judged} verified results accepted; verifier {j.VerifySeconds:F1} s for {j.TrainSeconds:F1} s of training)");
        if (j.TestAccuracy is { } accuracy)
            Console.WriteLine($"  {(j.IsInference ? "prediction accuracy" : "test accuracy")} {accuracy:P2}, {(j.IsInference ? "mean loss" : "test loss")} {j.TestLoss:F4}{(j.TestPerplexity is { } p ? $", perplexity {p:F2}" : "")}");
        if (j.FinalDigest is not null) Console.WriteLine($"  final digest  {j.FinalDigest}");
        if (j.Price is { } price)
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  price         {price.PricePerHour:0.######} GENS per compute-hour, locked at the start: {Gens.Format(price.ResultPayoutMicros)} GENS per accepted result ({price.Basis})"));
        if (j.RoundHistory.Count > 0)
        {
            var rounds = new Table().AddColumns("ROUND", "MEAN LOSS", "MATCH RATE", "PAID", "CHECKPOINT", "WORKERS");
            foreach (var r in j.RoundHistory)
                rounds.AddRow($"{r.Round + 1}", $"{r.MeanLoss:F4}", $"{r.MatchRate:P0}", r.Paid ? "yes" : "[red]no[/]", r.CheckpointDigest[..16], Markup.Escape(string.Join(", ", r.Workers.Distinct())));
            AnsiConsole.Write(rounds);
        }
        if (rejected > 0)
        {
            var verdicts = new Table().AddColumns("ROUND", "SHARD", "WORKER", "VERDICT", "REASON");
            foreach (var v in j.Verdicts!.Where(v => v.Outcome != VerdictOutcome.Accepted))
                verdicts.AddRow($"{v.Round + 1}", $"{v.Shard}", Markup.Escape(v.WorkerId), $"[red]{v.Outcome.ToString().ToLowerInvariant()}[/]", Markup.Escape(v.Reason));
            AnsiConsole.Write(verdicts);
        }
        if (j.Purges is { Count: > 0 } purges)
        {
            var table = new Table().AddColumns("PURGE", "ROUND", "SHARD", "WORKER", "REASON", "EVIDENCE");
            foreach (var p in purges)
                table.AddRow(p.RecomputedSeconds is { } took ? $"{p.Action} (recomputed in {took:F0} s)" : p.Action,
                    $"{p.Round + 1}", p.Shard is { } shard ? $"{shard}" : "-",
                    Markup.Escape(p.WorkerId ?? "-"), Markup.Escape(p.Reason),
                    p.EvidenceHash.Length > 18 ? p.EvidenceHash[..18] : p.EvidenceHash);
            AnsiConsole.Write(table);
        }
        foreach (var a in j.Audit ?? [])
            AnsiConsole.MarkupLine($"  [yellow]audit due[/]: key {Markup.Escape(a.Address)}, whose {a.Results} " +
                $"result(s) are in this model, was convicted ({a.Ground}); `gensyn audit {Markup.Escape(j.JobId)}` " +
                "re-verifies them");
        if (j.Money is { } money) PrintMoney(money);
        var waiting = j.Shards.Count(s => s.State == "waiting");
        if (waiting > 0 && j.State is JobPhase.Queued or JobPhase.Running)
        {
            var why = j.Shards.Select(s => s.Waiting).FirstOrDefault(w => w is not null);
            Console.WriteLine($"  {waiting} shard(s) waiting for a worker{(why is null ? "" : $": {why}")} (`gensyn workers` lists the registered ones)");
        }
        if (j.Shards.Count > 0)
        {
            var shards = new Table().AddColumns("SHARD", "STATE", "WORKER", "EPOCH", j.IsInference ? "BATCH" : "STEP", "LOSS");
            foreach (var s in j.Shards)
                shards.AddRow($"{s.Shard}", s.State, s.WorkerId ?? "-", $"{s.Epoch}", $"{s.Step}/{s.InnerSteps}", s.Loss is { } l ? $"{l:F4}" : "-");
            AnsiConsole.Write(shards);
        }
    }

    /// <summary>The job's money trail: deposit, payouts per worker, slashes and the refund, each with its transaction.</summary>
    internal static void PrintMoney(MoneyView m)
    {
        Console.WriteLine($"  money         {Gens.Format(m.DepositMicros)} GENS deposited by {m.Payer}; {Gens.Format(m.PaidMicros)} paid to workers, " +
                          $"{Gens.Format(m.RefundedMicros)} refunded{(m.Pending.Count == 0 ? "" : $"; pending: {string.Join(", ", m.Pending)}")}");
        if (m.Settlements.Count == 0) return;
        var table = new Table().AddColumns("SETTLEMENT", "STATUS", "GENS", "TO", "TRANSACTION", "GAS");
        foreach (var s in m.Settlements)
        {
            var status = s.Status switch
            {
                SettlementStatus.Confirmed => "confirmed",
                SettlementStatus.Reverted => "[red]reverted[/]",
                _ => "skipped",
            };
            var to = s.Kind switch
            {
                SettlementKind.PayRound => string.Join("\n", s.Payees.Select(p => $"{p.WorkerId} {p.Address} {Gens.Format(p.Micros)}")),
                SettlementKind.Slash => $"from {s.Provider}, evidence {s.EvidenceHash?[..18]}…",
                SettlementKind.Deposit => "the audit's own escrow, from the convicted stake",
                _ => $"{m.Payer} (refund)",
            };
            table.AddRow(Markup.Escape(s.Label), status, Gens.Format(s.AmountMicros), Markup.Escape(to),
                Markup.Escape(s.TxHash ?? (s.Reason.Length > 0 ? s.Reason : "-")), s.GasUsed == 0 ? "-" : $"{s.GasUsed:N0}");
        }
        AnsiConsole.Write(table);
    }

    internal static string Lower(JobPhase phase) => phase.ToString().ToLowerInvariant();

    private static string State(JobPhase phase) => phase switch
    {
        JobPhase.Completed => "[green]completed[/]",
        JobPhase.Failed => "[red]failed[/]",
        JobPhase.Cancelled => "[yellow]cancelled[/]",
        _ => Lower(phase),
    };
}

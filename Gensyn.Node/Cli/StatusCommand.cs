using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn status [JOB] [--money]</c>: a table of jobs, or one job on one screen (<see cref="JobReport"/>), or with
/// --money its every transaction (<see cref="MoneyReport"/>); --json prints the whole view.
/// </summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("job")
        {
            Description = "A job id (omit to list every job)", Arity = ArgumentArity.ZeroOrOne,
        };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var money = new Option<bool>("--money")
        {
            Description = "Every transaction of the job's money trail: label, status, amount, gas, hash, payees",
        };
        var command = new Command("status", "Show jobs, or one job's state, accuracy, money and rounds on one screen")
        {
            job, coordinator, json, money, key,
        };
        command.SetAction(async parse =>
        {
            var id = parse.GetValue(job);
            if (id is null && parse.GetValue(money))
                throw new CliInputException("--money: name the job, e.g. `gensyn status JOB --money`");
            await using var client = ClusterCli.Connect(parse, coordinator, key);
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
                case JobView view when parse.GetValue(money):
                    PrintMoney(view, Console.Out);
                    return ExitCodes.Success;
                case JobView view:
                    JobReport.Print(view, Console.Out);
                    return ExitCodes.Success;
                default:
                    return ClusterCli.Fail(reply);
            }
        });
        return command;
    }

    /// <summary>`status JOB --money`: the job's first line, its totals per payee, then every transaction.</summary>
    public static void PrintMoney(JobView view, TextWriter o, DateTimeOffset? now = null)
    {
        o.WriteLine(JobReport.Header(view, now ?? DateTimeOffset.UtcNow));
        if (view.Money is not { } m)
        {
            o.WriteLine(JobReport.IsSummary(view)
                ? "  no money shown: only the wallet that submitted the job sees its money"
                : "  no money: the network this job ran on does not settle on chain");
            return;
        }
        MoneyReport.PrintTotals(m, o);
        MoneyReport.PrintTransactions(m, o);
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

    internal static string Lower(JobPhase phase) => phase.ToString().ToLowerInvariant();

    private static string State(JobPhase phase) => phase switch
    {
        JobPhase.Completed => "[green]completed[/]",
        JobPhase.Failed => "[red]failed[/]",
        JobPhase.Cancelled => "[yellow]cancelled[/]",
        _ => Lower(phase),
    };
}

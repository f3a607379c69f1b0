using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn logs JOB [-f]</c>: the job's journaled history, one line per event.</summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until the job ends" };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("logs", "Print a job's event history (submission, rounds, assignments, results, outcome)") { job, follow, coordinator, json, key };
        command.SetAction(async (parse, cancel) =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var id = parse.GetRequiredValue(job);
            var from = 0;
            while (true)
            {
                var reply = await client.Ask(new GetJobLog((JobId)id, from));
                if (reply is not JobLog log) return ClusterCli.Fail(reply);
                foreach (var entry in log.Entries)
                    Console.WriteLine(parse.GetValue(json) ? ClusterCli.JsonOf(entry).ReplaceLineEndings(" ") : $"{entry.At.ToLocalTime():yyyy-MM-dd HH:mm:ss} {entry.Text}");
                from += log.Entries.Count;
                var terminal = log.State is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
                if (log.Entries.Count > 0 && log.Entries.Count < 500 && !parse.GetValue(follow)) return ExitCodes.Success;
                if (log.Entries.Count == 0 && (!parse.GetValue(follow) || terminal)) return ExitCodes.Success;
                if (log.Entries.Count == 0) await Task.Delay(500, cancel);
            }
        });
        return command;
    }
}

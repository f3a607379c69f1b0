using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn audit JOB</c>: re-verify a completed job's results of keys convicted since it
/// completed.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id (a completed job of yours)" };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("audit",
            "Replay in full a completed job's results of keys convicted since; any that fail are revoked and the job "
            + "recomputed from the earliest affected round, paid from the convicted stake. "
            + $"Exit {ExitCodes.Success} when nothing was revoked, {ExitCodes.ResultsRevoked} when results were")
        {
            job, coordinator, json, key,
        };
        command.SetAction(async parse =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var reply = await client.Ask(new AuditJob((JobId)parse.GetRequiredValue(job)));
            if (reply is not AuditReport report) return ClusterCli.Fail(reply);
            Console.WriteLine(parse.GetValue(json)
                ? ClusterCli.JsonOf(new
                {
                    jobId = report.JobId, keys = report.Keys, replayed = report.Replayed, revoked = report.Revoked,
                })
                : Text(report));
            return report.Revoked > 0 ? ExitCodes.ResultsRevoked : ExitCodes.Success;
        });
        return command;
    }

    private static string Text(AuditReport report) =>
        report.Keys.Count == 0
            ? $"{report.JobId}: no contributing key has been convicted; nothing to audit"
            : $"{report.JobId}: replayed {report.Replayed} result(s) of {string.Join(", ", report.Keys)}; "
              + (report.Revoked > 0
                  ? $"{report.Revoked} failed, were revoked, and the job is recomputed from the earliest affected round"
                  : "all stand");
}

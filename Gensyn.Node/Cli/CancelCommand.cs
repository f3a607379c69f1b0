using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn cancel JOB</c>: stop a job; its workers drop their shards.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id" };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("cancel", "Cancel a queued or running job") { job, coordinator, json, key };
        command.SetAction(async parse =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var reply = await client.Ask(new CancelJob((JobId)parse.GetRequiredValue(job), "cancelled by the requester"));
            if (reply is not JobCancelAccepted accepted) return ClusterCli.Fail(reply);
            Console.WriteLine(parse.GetValue(json) ? ClusterCli.JsonOf(new { jobId = accepted.JobId, state = accepted.State }) : $"cancelled {accepted.JobId}");
            return ExitCodes.Success;
        });
        return command;
    }
}

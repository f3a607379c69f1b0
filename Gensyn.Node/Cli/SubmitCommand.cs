using System.CommandLine;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn submit JOB.yaml</c>: validate locally, send to a coordinator, print the job id.</summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("job") { Description = "Job spec (YAML), e.g. examples/mnist-mlp.yaml" };
        var wait = new Option<bool>("--wait") { Description = "Stay and watch the job until it ends (exit code as for `watch`)" };
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("submit", "Submit a training job to the network") { spec, wait, coordinator, json };
        command.SetAction(async (parse, cancel) =>
        {
            var file = parse.GetRequiredValue(spec);
            var parsed = JobSpecParser.ParseFile(file.FullName);
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator));
            var reply = await client.Ask(new SubmitJob(File.ReadAllText(file.FullName), file.DirectoryName!));
            if (reply is not JobAccepted accepted) return ClusterCli.Fail(reply);
            var asJson = parse.GetValue(json);
            if (!parse.GetValue(wait))
            {
                Console.WriteLine(asJson ? ClusterCli.JsonOf(new { jobId = accepted.JobId, name = accepted.Name }) : accepted.JobId);
                return ExitCodes.Success;
            }
            if (!asJson) Console.Error.WriteLine($"submitted {parsed.Name} as {accepted.JobId}");
            return await JobWatcher.Watch(client, accepted.JobId, asJson, cancel);
        });
        return command;
    }
}

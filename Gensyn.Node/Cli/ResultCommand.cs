using System.CommandLine;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn result JOB --out model.safetensors</c>: download a completed job's model, hash checked, and show what the job paid.</summary>
public static class ResultCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Where to write the model (safetensors; default DATA_DIR/models/JOB.safetensors)" };
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("result", "Download a completed job's trained model (PyTorch: safetensors.torch.load_file)") { job, output, coordinator, json };
        command.SetAction(async parse =>
        {
            var id = parse.GetRequiredValue(job);
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator));
            var path = parse.GetValue(output)?.FullName ?? Path.Combine(parse.GetRequiredValue(GlobalOptions.DataDir), "models", id + ".safetensors");
            var (code, written) = await Download(client, id, path);
            if (code != ExitCodes.Success) return code;
            var money = await client.Ask(new GetJobStatus(id)) is JobView { Money: { } m } ? m : null;
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(new { jobId = id, modelPath = path, bytes = written.Size, sha256 = written.Hash.ToString(), money }));
                return ExitCodes.Success;
            }
            Console.WriteLine($"wrote {path}");
            if (money is not null) StatusCommand.PrintMoney(money);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static async Task<(int Code, BlobOffer Offer)> Download(CoordinatorClient client, string jobId, string path)
    {
        var reply = await client.Ask(new GetJobResult(jobId));
        if (reply is not BlobOffer offer) return (ClusterCli.Fail(reply), null!);
        var bytes = await BlobTransfer.Receive(offer, client.Materializer);
        CheckpointFile.WriteAtomically(path, bytes);
        return (ExitCodes.Success, offer);
    }
}

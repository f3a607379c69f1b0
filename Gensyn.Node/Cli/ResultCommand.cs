using System.CommandLine;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn result JOB --out model.safetensors</c>: download a completed job's model (an inference job's predictions CSV), hash checked,
/// and show what the job paid.
/// </summary>
public static class ResultCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Where to write the model (safetensors; default DATA_DIR/models/JOB.safetensors) or an inference job's predictions (CSV; default DATA_DIR/predictions/JOB.csv)" };
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var key = ClusterCli.WalletOption();
        var command = new Command("result", "Download a completed job's trained model (PyTorch: safetensors.torch.load_file), or an inference job's predictions (CSV: item, label, prediction, logits)") { job, output, coordinator, json, key };
        command.SetAction(async parse =>
        {
            var id = parse.GetRequiredValue(job);
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var status = await client.Ask(new GetJobStatus((JobId)id));
            if (status is not JobView view) return ClusterCli.Fail(status);
            var dataDir = parse.GetRequiredValue(GlobalOptions.DataDir);
            var path = parse.GetValue(output)?.FullName ?? (view.IsInference
                ? Path.Combine(dataDir, "predictions", id + ".csv")
                : Path.Combine(dataDir, "models", id + ".safetensors"));
            var (code, written) = await Download(client, id, path);
            if (code != ExitCodes.Success) return code;
            var money = await client.Ask(new GetJobStatus((JobId)id)) is JobView { Money: { } m } ? m : null;
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(new { jobId = id, kind = view.Kind, modelPath = path, bytes = new FileInfo(path).Length, sha256 = written.ToString(),
                    accuracy = view.TestAccuracy, money }));
                return ExitCodes.Success;
            }
            Console.WriteLine($"wrote {path}");
            if (money is not null) MoneyReport.PrintTotals(money, Console.Out);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static async Task<(int Code, Contracts.Sha256Digest Hash)> Download(CoordinatorClient client, string jobId, string path)
    {
        var (failure, hash) = await client.DownloadResult(jobId, path);
        return failure is null ? (ExitCodes.Success, hash) : (ClusterCli.Fail(failure), hash);
    }
}

using System.Globalization;
using System.Text;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Models.TorchScript;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;
using static Gensyn.Tests.Cluster.SettlementTests;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// Bring your own data and model, across real processes that share no files: a coordinator and two workers, each with
/// its own data directory, and a requester whose CSV files and TorchScript module are deleted as soon as `gensyn
/// submit` returns. The data travels packed into chunks and the module as a blob, both by hash. The trained model is
/// byte-identical to `gensyn train` over the files, and an inference job over it gives the predictions of one process.
/// </summary>
[Collection("cluster")]
public class ByomClusterTests
{
    private const string Model = "model: { kind: torchscript, path: net.pt, loss: cross-entropy }";
    private const string Data = "dataset: { format: csv, train: train.csv, test: test.csv, label-column: 0 }";

    private const string Train = $$"""
        name: byom-train
        {{Model}}
        {{Data}}
        training:
          rounds: 2
          shards: 2
          inner-steps: 8
          batch-size: 16
          seed: 11
          checkpoint-every: 4
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        budget: { max-total: 1 }
        """;

    private const string Predict = $$"""
        name: byom-predict
        kind: inference
        {{Model}}
        {{Data}}
        inference: { weights: model.safetensors, shards: 2, batch-size: 20 }
        budget: { max-total: 1 }
        """;

    /// <summary>The requester's files: the module (4 features to 3 classes) and a CSV of labelled rows, each class
    /// around a centre of its own.</summary>
    private static void WriteRequesterFiles(string root)
    {
        File.Copy(TorchScriptFixtures.Path("tiny_csv"), Path.Combine(root, "net.pt"), overwrite: true);
        File.WriteAllText(Path.Combine(root, "train.csv"), Csv(240, 0));
        File.WriteAllText(Path.Combine(root, "test.csv"), Csv(60, 1));
    }

    private static string Csv(int rows, int offset)
    {
        var csv = new StringBuilder("label,a,b,c,d\n");
        for (var i = 0; i < rows; i++)
        {
            var label = i % 3;
            var noise = ((i * 37 + offset * 11) % 17) / 17.0 - 0.5;
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{label},{label + noise},{1 - label + noise / 2},{noise},{label * 0.5 - noise}"));
        }
        return csv.ToString();
    }

    private static void DeleteRequesterFiles(string root)
    {
        foreach (var file in new[] { "net.pt", "train.csv", "test.csv", "model.safetensors" })
            File.Delete(Path.Combine(root, file));
    }

    [Fact]
    public async Task A_csv_dataset_and_a_module_only_the_requester_had_train_and_predict_across_processes_as_one_process_does()
    {
        using var cluster = TestCluster.Start(workers: 2);
        WriteRequesterFiles(cluster.Root);
        var trained = LocalJobRunner.Run(JobSpecParser.Parse(Train, cluster.Root), Cli.GensynProcess.DataDirectory);

        var trainJob = cluster.Submit(Train);
        DeleteRequesterFiles(cluster.Root);
        var training = await Settled(cluster, trainJob);

        Assert.True(training.State == JobPhase.Completed, $"{training.State}: {training.Reason}\n{cluster.Logs()}");
        Assert.Equal(trained.FinalDigest.ToString(), training.FinalDigest);

        // The requester predicts with the model it got back, over its own data again.
        WriteRequesterFiles(cluster.Root);
        var weights = Path.Combine(cluster.Root, "model.safetensors");
        var result = cluster.Cli("result", trainJob, "--out", weights, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var predicted = LocalInference.Run(JobSpecParser.Parse(Predict, cluster.Root), Cli.GensynProcess.DataDirectory);

        var predictJob = cluster.Submit(Predict);
        DeleteRequesterFiles(cluster.Root);
        var prediction = await Settled(cluster, predictJob);

        Assert.True(prediction.State == JobPhase.Completed, $"{prediction.State}: {prediction.Reason}\n{cluster.Logs()}");
        Assert.Equal(predicted.FinalDigest.ToString(), prediction.FinalDigest);
        foreach (var node in new[] { "coordinator", "worker-1", "worker-2" })
            Assert.DoesNotContain(Directory.EnumerateFiles(cluster.DataDir(node), "*", SearchOption.AllDirectories),
                f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".pt", StringComparison.Ordinal));
    }
}

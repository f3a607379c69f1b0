using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;
using Serilog;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn train JOB.yaml</c>: the whole job in this process, through the same trainer a worker uses.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("job") { Description = "Job spec (YAML), e.g. examples/mnist-mlp.yaml" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Where to write the trained model (safetensors; default DATA_DIR/models/NAME.safetensors)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the result instead of a summary" };
        var command = new Command("train", "Run a job locally in one process: every round, every shard in turn, then the outer step (an inference job: every shard's predictions)")
        {
            spec, output, json,
        };
        command.SetAction(parse => Run(
            parse.GetRequiredValue(spec), parse.GetValue(output), parse.GetValue(json), parse.GetRequiredValue(GlobalOptions.DataDir)));
        return command;
    }

    private static int Run(FileInfo specFile, FileInfo? output, bool json, string dataDir)
    {
        var spec = JobSpecParser.ParseFile(specFile.FullName);
        if (spec.IsInference) return RunInference(spec, output, json, dataDir);
        var modelPath = output?.FullName ?? Path.Combine(dataDir, "models", spec.Name + ".safetensors");
        var checkpoints = Path.Combine(dataDir, "runs", spec.Name, "checkpoints");
        Log.Information("Training {Job}: {Rounds} rounds x {Shards} shards x {Steps} inner steps, seed {Seed}, {Threads} thread(s)",
            spec.Name, spec.Rounds, spec.Shards, spec.InnerSteps, spec.RequireTraining().Seed, spec.Threads);

        var outcome = Interactive(json)
            ? RunWithProgressBar(spec, dataDir, checkpoints)
            : LocalJobRunner.Run(spec, dataDir, new LogProgress(), checkpoints);

        CheckpointFile.SaveModel(modelPath, outcome.FinalState, new Dictionary<string, string>
        {
            ["gensyn.job"] = spec.Name,
            ["gensyn.final-digest"] = outcome.FinalDigest.ToString(),
        });
        Log.Information("Wrote {Model}", modelPath);
        if (json) Console.WriteLine(ToJson(spec, outcome, modelPath).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else PrintSummary(spec, outcome, modelPath);
        return ExitCodes.Success;
    }

    /// <summary>An inference job in this process: every shard in turn, the predictions joined and written as CSV.</summary>
    private static int RunInference(JobSpec spec, FileInfo? output, bool json, string dataDir)
    {
        var path = output?.FullName ?? Path.Combine(dataDir, "predictions", spec.Name + ".csv");
        Log.Information("Inference {Job}: {Weights} over the test split in {Shards} shard(s), batches of {Batch}, {Threads} thread(s)",
            spec.Name, spec.Inference!.Weights, spec.Shards, spec.BatchSize, spec.Threads);
        var outcome = Training.Inference.LocalInference.Run(spec, dataDir);
        CheckpointFile.WriteAtomically(path, outcome.Csv);
        Log.Information("Wrote {Predictions}", path);
        if (json)
        {
            Console.WriteLine(new JsonObject
            {
                ["job"] = spec.Name,
                ["kind"] = "inference",
                ["finalDigest"] = outcome.FinalDigest.ToString(),
                ["items"] = outcome.Predictions.Count,
                ["testAccuracy"] = outcome.Accuracy,
                ["testLoss"] = outcome.Loss,
                ["shards"] = spec.Shards,
                ["batchSize"] = spec.BatchSize,
                ["threads"] = spec.Threads,
                ["wallSeconds"] = Math.Round(outcome.WallSeconds, 3),
                ["predictionsPath"] = path,
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        Console.WriteLine($"job {spec.Name}: inference over {outcome.Predictions.Count} items in {spec.Shards} shard(s) in {outcome.WallSeconds:F1} s");
        Console.WriteLine($"  accuracy {outcome.Accuracy:P2}, mean loss {outcome.Loss:F4}");
        Console.WriteLine($"  final digest  {outcome.FinalDigest}");
        Console.WriteLine($"  predictions   {path}");
        return ExitCodes.Success;
    }

    private static bool Interactive(bool json) => !json && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static JobOutcome RunWithProgressBar(JobSpec spec, string dataDir, string checkpoints)
    {
        JobOutcome? outcome = null;
        var t = spec.RequireTraining();
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("loading data", maxValue: (double)t.Rounds * t.Shards * t.InnerSteps);
                outcome = LocalJobRunner.Run(spec, dataDir, new BarProgress(task, spec), checkpoints);
            });
        return outcome!;
    }

    internal static JsonObject ToJson(JobSpec spec, JobOutcome outcome, string modelPath) => new()
    {
        ["job"] = spec.Name,
        ["finalDigest"] = outcome.FinalDigest.ToString(),
        ["testAccuracy"] = outcome.Test.Accuracy,
        ["testLoss"] = outcome.Test.Loss,
        ["testPerplexity"] = outcome.Test.Perplexity,
        ["rounds"] = spec.Rounds,
        ["shards"] = spec.Shards,
        ["innerSteps"] = spec.InnerSteps,
        ["seed"] = spec.RequireTraining().Seed,
        ["threads"] = spec.Threads,
        ["wallSeconds"] = Math.Round(outcome.WallSeconds, 3),
        ["modelPath"] = modelPath,
        ["roundHistory"] = new JsonArray(outcome.Rounds.Select(r => (JsonNode)new JsonObject
        {
            ["round"] = r.Round,
            ["meanTrainingLoss"] = r.MeanLoss,
            ["testAccuracy"] = r.Test?.Accuracy,
            ["testLoss"] = r.Test?.Loss,
            ["checkpointDigest"] = r.CheckpointDigest.ToString(),
            ["shardRoots"] = new JsonArray(r.ShardRoots.Select(s => (JsonNode)JsonValue.Create(s.ToString())!).ToArray()),
        }).ToArray()),
    };

    private static void PrintSummary(JobSpec spec, JobOutcome outcome, string modelPath)
    {
        var perplexity = outcome.Test.Perplexity is { } p ? $", perplexity {p:F2}" : "";
        Console.WriteLine($"job {spec.Name}: {spec.Rounds} rounds x {spec.Shards} shards x {spec.InnerSteps} steps in {outcome.WallSeconds:F1} s");
        Console.WriteLine($"  test accuracy {outcome.Test.Accuracy:P2}, test loss {outcome.Test.Loss:F4}{perplexity} ({outcome.Test.Examples} examples)");
        var evaluated = outcome.Rounds.Where(r => r.Test is not null).ToList();
        if (evaluated.Count > 1)
            Console.WriteLine("  by round      " +
                              string.Join(", ", evaluated.Select(r => $"{r.Round + 1}: {r.Test!.Accuracy:P1}")));
        Console.WriteLine($"  final digest  {outcome.FinalDigest}");
        Console.WriteLine($"  model         {modelPath}");
    }

    private sealed class BarProgress(ProgressTask task, JobSpec spec) : IJobProgress
    {
        private string _test = "";

        public void OnShardStep(int round, int shard, int localStep, float loss)
        {
            task.Increment(1);
            if (localStep % 10 == 0 || localStep == spec.InnerSteps)
                task.Description =
                    $"round {round + 1}/{spec.Rounds} shard {shard + 1}/{spec.Shards} loss {loss:F3}{_test}";
        }

        public void OnRoundCompleted(RoundSummary round)
        {
            if (round.Test is { } test) _test = $", test acc. {test.Accuracy:P1} after round {round.Round + 1}";
        }
    }

    private sealed class LogProgress : IJobProgress
    {
        public void OnShardStep(int round, int shard, int localStep, float loss) { }

        public void OnRoundCompleted(RoundSummary round)
        {
            if (round.Test is { } test)
                Log.Information("Round {Round} done: mean training loss {Loss:F4}, test accuracy {Accuracy:P2}, " +
                                "test loss {TestLoss:F4}, checkpoint {Digest}", round.Round + 1, round.MeanLoss,
                    test.Accuracy, test.Loss, round.CheckpointDigest);
            else
                Log.Information("Round {Round} done: mean training loss {Loss:F4}, checkpoint {Digest}",
                    round.Round + 1, round.MeanLoss, round.CheckpointDigest);
        }
    }
}

using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// The TorchScript overhead: steps/s of the shard trainer over a requester's TorchScript MLP (784-128-10, the committed
/// fixture Gensyn.Tests/Models/TorchScript/mnist_mlp.pt) against the built-in mlp of the same shape, on MNIST, same
/// batches, same optimizer, digests after every step in both. Runs alternate in pairs; the median of the pairs' ratios
/// is the figure.
/// </summary>
public static class TorchScriptBenchmark
{
    public static void Run(string dataDir, string root, int steps = 600, int repeats = 7)
    {
        var module = Path.Combine(root, "Gensyn.Tests", "Models", "TorchScript", "mnist_mlp.pt");
        string Yaml(string model) => $$"""
            name: torchscript-overhead
            model: {{model}}
            dataset: { name: mnist }
            training:
              rounds: 1
              shards: 1
              inner-steps: {{steps}}
              batch-size: 64
              seed: 42
              threads: 1
              checkpoint-every: {{steps}}
              inner-optimizer: { kind: adamw, lr: 0.001, weight-decay: 0.01 }
            """;
        var builtIn = JobSpecParser.Parse(Yaml("{ kind: mlp, hidden: [128] }"), root);
        var script = JobSpecParser.Parse(Yaml($"{{ kind: torchscript, path: {module} }}"), root);
        using var data = DatasetLoader.Load(builtIn, dataDir);
        using var mlp = new TrainingSession(builtIn, data);
        using var ts = new TrainingSession(script, data);
        var task = ShardTask.For(builtIn, 0, 0, data.Train.Count);
        Console.WriteLine($"torchscript overhead: MNIST, MLP 784-128-10, batch 64, {steps} steps, 1 thread, AdamW, digest every step");

        double Rate(TrainingSession session)
        {
            var clock = Stopwatch.StartNew();
            session.RunShard(task, session.InitialState);
            return steps / clock.Elapsed.TotalSeconds;
        }
        Rate(mlp);
        Rate(ts);
        var (builtInRates, scriptRates, ratios) = (new List<double>(), new List<double>(), new List<double>());
        for (var r = 0; r < repeats; r++)
        {
            double m, s;
            if (r % 2 == 0) (m, s) = (Rate(mlp), Rate(ts));
            else (s, m) = (Rate(ts), Rate(mlp));
            builtInRates.Add(m);
            scriptRates.Add(s);
            ratios.Add(s / m);
        }
        Console.WriteLine($"  built-in mlp      : {Median(builtInRates),8:F1} steps/s median of {repeats}");
        Console.WriteLine($"  torchscript module: {Median(scriptRates),8:F1} steps/s median of {repeats}");
        Console.WriteLine($"  torchscript / built-in: {Median(ratios):F3} (median of the pairs' ratios, range {ratios.Min():F3}-{ratios.Max():F3})");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

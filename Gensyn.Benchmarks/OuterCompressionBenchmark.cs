using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Outer;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// What the outer step's compression (<c>training.outer-compression</c>, <c>training.outer-topk</c>) saves, in one
/// process with the arithmetic of `gensyn train` and the coordinator (<see cref="OuterStep"/>):
/// 1. traffic against per-step synchronization: the mlp of <see cref="ClusterBenchmarks.CommunicationYaml"/> (one
///    shard, plain-mean outer step) for the same number of inner steps at H = 1 uncompressed (a gradient up and the
///    parameters down every step) and at H = 100 under each codec; bytes are the payloads' (each shard's
///    pseudo-gradient up, the global update down to each shard), with the test accuracy of each;
/// 2. the mnist-mlp example under each codec: its payload bytes per job against today's fp32 start and end states
///    (parameters and AdamW moments), with its test accuracy.
/// </summary>
public static class OuterCompressionBenchmark
{
    private static readonly (string Name, string Fields)[] Codecs =
    [
        ("none", "outer-compression: none"),
        ("fp16", "outer-compression: fp16"),
        ("int8", "outer-compression: int8"),
        ("int8 + top-k 10%", "outer-compression: int8\n  outer-topk: 0.1"),
        ("int8 + top-k 1%", "outer-compression: int8\n  outer-topk: 0.01"),
    ];

    public static void Run(string dataDir, string root, int totalSteps = 1000)
    {
        Console.WriteLine("outer compression: payload bytes of the outer step " +
                          $"({Environment.ProcessorCount} cores, 1 thread)");
        Console.WriteLine($"  1. mlp [256], 1 shard, {totalSteps} inner steps, plain-mean outer step; " +
                          "ratio = bytes per inner step at H = 1 (none) / at H = 100");
        var baseline = Train(dataDir, Spec(ClusterBenchmarks.CommunicationYaml(1, totalSteps), Codecs[0].Fields));
        var perStep = (double)(baseline.Up + baseline.Down) / totalSteps;
        Console.WriteLine($"     H =   1, none            : {Kb(perStep),10}/inner step, " +
                          $"accuracy {baseline.Accuracy:P2} " +
                          $"({baseline.Seconds:F1} s)");
        foreach (var (name, fields) in Codecs)
        {
            var run = Train(dataDir, Spec(ClusterBenchmarks.CommunicationYaml(100, totalSteps), fields));
            var bytes = (double)(run.Up + run.Down) / totalSteps;
            Console.WriteLine($"     H = 100, {name,-16}: {Kb(bytes),10}/inner step " +
                              $"({Kb(run.Up)} up, {Kb(run.Down)} down " +
                              $"in all), {perStep / bytes,6:F0}x fewer, accuracy {run.Accuracy:P2} " +
                              $"({100 * (run.Accuracy - baseline.Accuracy):+0.00;-0.00} points; {run.Seconds:F1} s)");
        }

        var example = File.ReadAllText(Path.Combine(root, "examples", "mnist-mlp.yaml"));
        Console.WriteLine("  2. examples/mnist-mlp.yaml (10 rounds x 4 shards x 100 steps): payloads per job");
        foreach (var (name, fields) in Codecs)
        {
            var run = Train(dataDir, Spec(example, fields));
            var share = (double)(run.Up + run.Down) / run.States;
            Console.WriteLine($"     {name,-16}: {Kb(run.Up + run.Down),10} per job " +
                              $"({Kb(run.Up)} up, {Kb(run.Down)} down), " +
                              $"fp32 start + end states {Kb(run.States)}: {share:P1}; " +
                              $"accuracy {run.Accuracy:P2} ({run.Seconds:F1} s)");
        }
    }

    private static JobSpec Spec(string yaml, string fields) =>
        JobSpecParser.Parse(yaml.Replace("  outer-optimizer:", $"  {fields}\n  outer-optimizer:"),
            Directory.GetCurrentDirectory());

    /// <summary>The job as `gensyn train` runs it (same session, same <see cref="OuterStep"/>), counting the
    /// payloads: each shard's pseudo-gradient up, the global update down to every shard; and the fp32 start and end
    /// states the cluster moves today.</summary>
    private static (double Accuracy, long Up, long Down, long States, double Seconds) Train(string dataDir,
                                                                                              JobSpec spec)
    {
        var clock = Stopwatch.StartNew();
        var t = spec.RequireTraining();
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        var global = LocalJobRunner.Initial(session.InitialState);
        var optimizers = Enumerable.Repeat(session.InitialState, t.Shards).ToArray();
        var stateBytes = CheckpointFile.Serialize(session.InitialState).Length;
        long up = 0, down = 0, states = 0;
        for (var round = 0; round < t.Rounds; round++)
        {
            var ends = new StateSnapshot[t.Shards];
            for (var shard = 0; shard < t.Shards; shard++)
            {
                var start = TrainingSession.ShardStart(global, optimizers[shard], (long)round * t.InnerSteps);
                var task = ShardTask.For(spec, round, shard, data.Train.Count);
                ends[shard] = optimizers[shard] = session.RunShard(task, start).FinalState;
                states += 2L * stateBytes;
            }
            var outer = OuterStep.Apply(global, ends, t.OuterOptimizer.LearningRate, t.OuterOptimizer.Momentum,
                t.OuterCompression, round + 1);
            up += outer.ShardBytes;
            down += outer.UpdateBytes * t.Shards;
            global = outer.Next;
        }
        return (session.Evaluate(global).Accuracy, up, down, states, clock.Elapsed.TotalSeconds);
    }

    private static string Kb(double bytes) => bytes >= 1e6 ? $"{bytes / 1e6:F2} MB" : $"{bytes / 1e3:F1} kB";
}

using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Optimizers;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// The coordinator's per-round evaluation against the round's training: round 0 of an example trained shard by shard
/// (as workers do), the outer step applied, then the new global state evaluated on the test split as
/// TrainingCoordinator.Aggregate does. Figures are this process's CPU seconds (the spec's threads), and wall seconds.
/// A round's wall time on a cluster with a worker per shard is about its slowest shard; on one machine, their sum.
/// </summary>
public static class RoundEvaluationBenchmark
{
    public static void Run(string dataDir, string specPath, int repeats = 3)
    {
        var spec = JobSpecParser.ParseFile(specPath);
        var t = spec.RequireTraining();
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        // Warm-up (libtorch kernels) on a short shard and one evaluation.
        session.RunShard(ShardTask.For(spec, 0, 0, data.Train.Count) with { InnerSteps = 5 }, session.InitialState);
        session.Evaluate(session.InitialState);

        var global = LocalJobRunner.Initial(session.InitialState);
        var ends = new List<StateSnapshot>();
        var shardCpu = new List<double>();
        var shardWall = new List<double>();
        for (var shard = 0; shard < t.Shards; shard++)
        {
            var (cpu, wall) = (Cpu(), Stopwatch.StartNew());
            var start = TrainingSession.ShardStart(global, session.InitialState, 0);
            ends.Add(session.RunShard(ShardTask.For(spec, 0, shard, data.Train.Count), start).FinalState);
            shardCpu.Add(Cpu() - cpu);
            shardWall.Add(wall.Elapsed.TotalSeconds);
        }
        var o = t.OuterOptimizer;
        var next = OuterOptimizer.Apply(global, ends, o.LearningRate, o.Momentum, 1);

        var evalCpu = new List<double>();
        var evalWall = new List<double>();
        Evaluation? test = null;
        for (var i = 0; i < repeats; i++)
        {
            var (cpu, wall) = (Cpu(), Stopwatch.StartNew());
            test = session.Evaluate(next);
            evalCpu.Add(Cpu() - cpu);
            evalWall.Add(wall.Elapsed.TotalSeconds);
        }
        var (eCpu, eWall) = (Median(evalCpu), Median(evalWall));
        Console.WriteLine($"round evaluation: {spec.Name}, {t.Shards} shard(s) x {t.InnerSteps} steps per round, " +
                          $"{test!.Examples:N0} test predictions, {t.Threads} thread(s); median of {repeats}");
        Console.WriteLine($"  training a round : {shardCpu.Sum():F2} CPU s, {shardWall.Sum():F2} s wall " +
                          $"(slowest shard {shardWall.Max():F2} s wall)");
        Console.WriteLine($"  evaluating it    : {eCpu:F3} CPU s, {eWall:F3} s wall " +
                          $"(test accuracy {test.Accuracy:P2}, loss {test.Loss:F4})");
        Console.WriteLine($"  evaluation / round: {eCpu / shardCpu.Sum():P1} of its training CPU, " +
                          $"{eWall / shardWall.Max():P1} of its slowest shard's wall time");
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}

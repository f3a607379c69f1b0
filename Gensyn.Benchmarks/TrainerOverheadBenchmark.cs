using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Determinism;
using Gensyn.Training.Models;
using Gensyn.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Benchmarks;

/// <summary>
/// Steps/s of the shard trainer (digest after every step, checkpoint every C steps) against a plain
/// TorchSharp loop (torch.optim, no digests) over the same batches, measured side by side, alternating.
/// </summary>
public static class TrainerOverheadBenchmark
{
    public static void Run(string dataDir, string specPath, int steps, int repeats)
    {
        var spec = JobSpecParser.ParseFile(specPath);
        spec = spec with { Training = spec.Training with { InnerSteps = steps } };
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var directory = Path.Combine(dataDir, "bench", "checkpoints");
        using var checkpoints = new Gensyn.Training.Checkpoints.BackgroundCheckpointWriter(c => Path.Combine(directory, $"shard{c.Shard}.safetensors"));
        Console.WriteLine($"trainer overhead: {spec.Name}, {spec.Model.Kind}, batch {spec.Training.BatchSize}, {steps} steps, checkpoint every {spec.Training.CheckpointEvery}, {spec.Training.Threads} thread(s)");
        Console.WriteLine($"  state: {session.StateBytes / 1e6:F2} MB canonical bytes per step digest");

        // Warm both paths once.
        Plain(spec, data, task, Math.Min(steps, 50));
        session.RunShard(task with { InnerSteps = Math.Min(steps, 50) }, session.InitialState, checkpoints);

        // Pairs of runs, back to back, the order alternating: the ratio of each pair sees the same machine (a shared
        // 2-core VM drifts by more than the overhead between pairs), and the median of the ratios is reported.
        var plain = new List<double>();
        var trainer = new List<double>();
        var ratios = new List<double>();
        double Trainer()
        {
            var clock = Stopwatch.StartNew();
            session.RunShard(task, session.InitialState, checkpoints);
            return steps / clock.Elapsed.TotalSeconds;
        }
        for (var r = 0; r < repeats; r++)
        {
            double p, t;
            if (r % 2 == 0) (p, t) = (steps / Plain(spec, data, task, steps), Trainer());
            else (t, p) = (Trainer(), steps / Plain(spec, data, task, steps));
            plain.Add(p);
            trainer.Add(t);
            ratios.Add(t / p);
        }
        var plainMedian = Median(plain);
        var trainerMedian = Median(trainer);
        Console.WriteLine($"  plain TorchSharp loop : {plain.Max(),8:F1} steps/s best, {plainMedian,8:F1} median of {repeats}");
        Console.WriteLine($"  shard trainer         : {trainer.Max(),8:F1} steps/s best, {trainerMedian,8:F1} median of {repeats}");
        // The headline is the ratio of the best runs: on a shared VM a run is only ever slowed down by what else runs,
        // so each path's fastest run is the closest to its own cost (as Python's timeit advises); the pairs show the spread.
        Console.WriteLine($"  ratio trainer/plain   : {trainer.Max() / plain.Max():F3} best runs; {Median(ratios):F3} median of {repeats} back-to-back pairs " +
                          $"(range {ratios.Min():F3}-{ratios.Max():F3}); required >= 0.90, goal 0.97");

        // What the digest thread does per step: SHA-256 over one canonical state buffer.
        var buffer = new byte[session.StateBytes];
        new Random(1).NextBytes(buffer);
        var clockHash = Stopwatch.StartNew();
        var n = 0;
        while (clockHash.ElapsedMilliseconds < 1000) { Sha256Digest.Of(buffer); n++; }
        var perHash = clockHash.Elapsed.TotalMilliseconds / n;
        Console.WriteLine($"  hashing one state     : {perHash:F3} ms ({session.StateBytes / 1e6 / (perHash / 1000):F0} MB/s) on the digest thread, vs {1000 / plainMedian:F3} ms per plain step");
    }

    /// <summary>The baseline: the same model and batches, torch.optim's optimizer, no digests, no checkpoints.</summary>
    private static double Plain(JobSpec spec, DatasetSplits data, ShardTask task, int steps)
    {
        using var model = ModelFactory.Create(spec.Model, data.Train.Shape, spec.Training.Seed);
        var o = spec.Training.InnerOptimizer;
        using torch.optim.Optimizer optimizer = o.Kind == InnerOptimizerKind.AdamW
            ? torch.optim.AdamW(model.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay)
            : torch.optim.SGD(model.parameters(), o.LearningRate, o.Momentum, weight_decay: o.WeightDecay);
        var schedule = new BatchSchedule(task.Slice, task.BatchSize, task.Seed, task.Round, task.Shard);
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < steps; s++)
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = data.Train.Batch(schedule.IndicesForStep(s));
            optimizer.zero_grad();
            var (logits, target) = TrainingSession.PerPrediction(model.forward(x), y);
            var loss = nn.functional.cross_entropy(logits, target);
            loss.backward();
            optimizer.step();
            loss.item<float>();
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

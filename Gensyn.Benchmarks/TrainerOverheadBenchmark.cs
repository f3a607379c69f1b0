using System.Collections.Concurrent;
using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Determinism;
using Gensyn.Training.Models;
using Gensyn.Training.State;
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
    public static void Run(string dataDir, string specPath, int steps, int repeats, bool controls = false)
    {
        var spec = JobSpecParser.ParseFile(specPath);
        spec = spec with { Training = spec.RequireTraining() with { InnerSteps = steps } };
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var directory = Path.Combine(dataDir, "bench", "checkpoints");
        using var checkpoints = new Gensyn.Training.Checkpoints.BackgroundCheckpointWriter(c => Path.Combine(directory, $"shard{c.Shard}.safetensors"));
        Console.WriteLine($"trainer overhead: {spec.Name}, {spec.Model.Kind}, batch {spec.BatchSize}, {steps} steps, checkpoint every {spec.RequireTraining().CheckpointEvery}, {spec.Threads} thread(s)");
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
            if (r % 2 == 0) (p, t) = (Plain(spec, data, task, steps), Trainer());
            else (t, p) = (Trainer(), Plain(spec, data, task, steps));
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

        // What the digest thread does per step: the state digest over one canonical state buffer (its 1 MiB chunks
        // on the cores libtorch leaves free), against the serial SHA-256 it replaced.
        var state = new byte[session.StateBytes];
        new Random(1).NextBytes(state);
        var spare = StateDigest.SpareCores(torch.get_num_threads());
        var perHash = Milliseconds(() => StateDigest.Of(state, spare));
        var perSerial = Milliseconds(() => Sha256Digest.Of(state));
        Console.WriteLine($"  digesting one state   : {perHash:F3} ms ({session.StateBytes / 1e6 / (perHash / 1000):F0} MB/s, {spare} thread(s)) " +
                          $"on the digest thread; serial SHA-256 {perSerial:F3} ms; vs {1000 / plainMedian:F3} ms per plain step");
        // What the training thread does per step: copy the state out of libtorch's memory into one of the digest
        // buffers, which the digest thread reads (hashes) in turn on the other core, as in the trainer.
        using (var live = torch.zeros(session.StateBytes / sizeof(float)))
        {
            var buffers = Enumerable.Range(0, 6).Select(_ => new byte[session.StateBytes]).ToArray();
            using var stop = new CancellationTokenSource();
            var reader = new Thread(() =>
            {
                for (var k = 0; !stop.IsCancellationRequested; k++) StateDigest.Of(buffers[k % buffers.Length], spare);
            }) { IsBackground = true };
            reader.Start();
            var next = 0;
            var streaming = Milliseconds(() => StreamingCopy.Copy(live.bytes, buffers[next++ % buffers.Length]));
            var ordinary = Milliseconds(() => live.bytes.CopyTo(buffers[next++ % buffers.Length]));
            stop.Cancel();
            reader.Join();
            Console.WriteLine($"  copying one state     : {streaming:F3} ms with streaming stores, {ordinary:F3} ms with an ordinary copy, on the training thread (into buffers the digest thread hashes)");
        }
        if (!controls) return;

        // Where the overhead comes from: the plain loop again, with a second thread doing one unit of side work per
        // step (the same back-pressure as the digest pipeline). If an integer spin of the hash's length costs the
        // plain loop as much as the hash does, the cost is the second core being busy, not the trainer's machinery.
        void Control(string what, Action work)
        {
            var pairs = new List<double>();
            for (var r = 0; r < 5; r++)
            {
                double p, c;
                if (r % 2 == 0) (p, c) = (Plain(spec, data, task, steps), Plain(spec, data, task, steps, work));
                else (c, p) = (Plain(spec, data, task, steps, work), Plain(spec, data, task, steps));
                pairs.Add(c / p);
            }
            Console.WriteLine($"  plain + {what,-22}: {Median(pairs):F3} of plain, median of 5 pairs (range {pairs.Min():F3}-{pairs.Max():F3})");
        }
        Control("state digest per step", () => StateDigest.Of(state, spare));
        Control("spin as long per step", () =>
        {
            var until = Stopwatch.GetTimestamp() + (long)(perHash / 1000 * Stopwatch.Frequency);
            var x = 1UL;
            while (Stopwatch.GetTimestamp() < until)
                for (var k = 0; k < 256; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
            GC.KeepAlive(x);
        });
    }

    /// <summary>Mean time of <paramref name="work"/> over a second of repeats.</summary>
    private static double Milliseconds(Action work)
    {
        var clock = Stopwatch.StartNew();
        var n = 0;
        while (clock.ElapsedMilliseconds < 1000) { work(); n++; }
        return clock.Elapsed.TotalMilliseconds / n;
    }

    /// <summary>
    /// The baseline: the same model and batches, torch.optim's optimizer, no digests, no checkpoints. With
    /// <paramref name="sideWork"/>, a second thread runs it once per step, at most four steps behind.
    /// </summary>
    private static double Plain(JobSpec spec, DatasetSplits data, ShardTask task, int steps, Action? sideWork = null)
    {
        using var model = ModelFactory.Create(spec.Model, data.Train.Shape, spec.RequireTraining().Seed);
        var o = spec.RequireTraining().InnerOptimizer;
        using torch.optim.Optimizer optimizer = o.Kind == InnerOptimizerKind.AdamW
            ? torch.optim.AdamW(model.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay)
            : torch.optim.SGD(model.parameters(), o.LearningRate, o.Momentum, weight_decay: o.WeightDecay);
        var schedule = new BatchSchedule(task.Slice, task.BatchSize, task.Seed, task.Round, task.Shard);
        using var pending = new BlockingCollection<int>(4);
        var side = sideWork is null ? null : new Thread(() => { foreach (var _ in pending.GetConsumingEnumerable()) sideWork(); }) { IsBackground = true };
        side?.Start();
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
            if (side is not null) pending.Add(s);
        }
        pending.CompleteAdding();
        side?.Join();
        return steps / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

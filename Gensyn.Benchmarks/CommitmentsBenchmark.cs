using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// What committing every c steps costs and buys, per shipped training example: the shard trainer's wall time with
/// c = 1 (every state copied and hashed), with the spec's c (training.commit-every, its default when absent) and with
/// c = H (only the start and the end), run back to back in alternating order; the commitment cost is the extra time
/// over c = H as a share of it. Beside it the replay a challenge costs the verifier (one segment: c steps) and the
/// detection one challenge buys.
/// </summary>
public static class CommitmentsBenchmark
{
    private static readonly string[] Examples = ["mnist-mlp.yaml", "mnist-cnn.yaml", "charlm.yaml", "charlm-network.yaml"];

    /// <param name="candidates">More intervals to time besides 1, the spec's c and H (printed on a line of their own).</param>
    public static void Run(string dataDir, string root, int[]? candidates = null, int repeats = 5)
    {
        Console.WriteLine($"commitments: shard wall time by commit interval c (median of {repeats} alternating runs, no checkpoints); " +
                          $"cost = extra time over c = H, as a share of it");
        Console.WriteLine("  example             |   H |  c | commit c=1 | commit c (default) | replay / challenge          | detection / challenge: 1 faked step, 10% faked");
        foreach (var name in Examples)
        {
            var path = Path.Combine(root, "examples", name);
            try
            {
                Example(dataDir, path, candidates ?? [], repeats);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.WriteLine($"  {name,-19} | skipped: {e.Message.Split('\n')[0]}");
            }
        }
        Console.WriteLine("  (detection: the chance that one challenged segment, drawn uniformly, holds a faked step; a worker faking one step, " +
                          "or 10% of the steps at random; c = 1 gives 1/H and 10%)");
    }

    private static void Example(string dataDir, string path, int[] candidates, int repeats)
    {
        var spec = JobSpecParser.ParseFile(path);
        if (spec.Training is null) return;
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var h = task.InnerSteps;
        task = task with { CheckpointEvery = h };
        var start = session.InitialState;
        session.RunShard(task with { InnerSteps = Math.Min(h, 10), CommitEvery = 1 }, start);

        var variants = new[] { 1, task.Every, h }.Concat(candidates.Where(c => c >= 1 && c < h));
        var times = variants.Distinct().ToDictionary(c => c, _ => new List<double>());
        for (var r = 0; r < repeats; r++)
        {
            var order = r % 2 == 0 ? times.Keys.ToArray() : times.Keys.Reverse().ToArray();
            foreach (var c in order)
            {
                var clock = Stopwatch.StartNew();
                session.RunShard(task with { CommitEvery = c }, start);
                times[c].Add(clock.Elapsed.TotalSeconds);
            }
        }
        var baseline = Median(times[h]);
        double Cost(int c) => (Median(times[c]) - baseline) / baseline;

        // A challenge's replay: one segment of c steps from a committed state (the verifier's ReplaySegment).
        var replays = new List<double>();
        var outcome = session.RunShard(task, start);
        for (var r = 0; r < Math.Max(3, repeats); r++)
        {
            var segment = 1 + r % task.Segments;
            var before = session.ReplayRange(task, start, 0, task.LeafStep(segment - 1));
            var clock = Stopwatch.StartNew();
            var after = session.ReplaySegment(task, before, segment);
            replays.Add(clock.Elapsed.TotalSeconds);
            if (after.Digest() != outcome.StepDigests[segment])
                throw new InvalidOperationException($"segment {segment} does not replay to its committed state");
        }
        var replay = Median(replays);
        Console.WriteLine($"  {spec.Name,-19} | {h,3} | {task.Every,2} | {Cost(1),10:P1} | {Cost(task.Every),18:P2} | " +
                          $"{task.Every,3} steps, {1000 * replay,7:F1} ms ({replay / baseline,5:P1}) | " +
                          $"{1.0 / task.Segments,8:P1}, {Detection(task, 0.10),8:P1}");
        if (candidates.Length > 0)
            Console.WriteLine("  " + new string(' ', 19) + " | commit cost by c: " + string.Join(", ",
                times.Keys.Order().Select(c => $"c = {c}: {Cost(c):P2}")));
    }

    /// <summary>
    /// The chance that a uniformly drawn segment holds one of m = round(f·H) faked steps placed uniformly at random:
    /// the mean over segments of 1 − C(H − m, len) / C(H, len).
    /// </summary>
    private static double Detection(ShardTask task, double f)
    {
        var h = task.InnerSteps;
        var m = (int)Math.Round(f * h);
        var sum = 0.0;
        for (var s = 1; s <= task.Segments; s++)
        {
            var length = task.LeafStep(s) - task.LeafStep(s - 1);
            var miss = 1.0;
            for (var i = 0; i < length; i++) miss *= (double)(h - m - i) / (h - i);
            sum += 1 - Math.Max(0, miss);
        }
        return sum / task.Segments;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

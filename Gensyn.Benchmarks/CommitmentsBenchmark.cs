using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// What committing every c steps costs and buys, per shipped training example. The commitment cost is the work of
/// committing one state (its canonical copy and its digest, timed on a fresh snapshot:
/// <see cref="StateSnapshot.Digest"/>) times the ⌈H / c⌉ + 1 committed states, over the shard's training time
/// (c = H, timed): what the trainer pays when no core is spare for the digest thread, and a ratio that holds on a
/// loaded machine; the copy alone is the training thread's part when one is. As a check, the wall time of whole
/// shards with c = 1, the spec's c and c = H (alternating order) is printed too (noisy where cores are shared). Beside
/// it the replay a challenge costs the verifier (one segment: c steps) and the detection one challenge buys.
/// </summary>
public static class CommitmentsBenchmark
{
    private static readonly string[] Examples =
        ["mnist-mlp.yaml", "mnist-cnn.yaml", "charlm.yaml", "charlm-network.yaml"];

    /// <param name="candidates">More intervals to price besides 1 and the spec's c (on a line of their own).</param>
    public static void Run(string dataDir, string root, int[]? candidates = null, int repeats = 3)
    {
        Console.WriteLine($"commitments: cost = (copy + digest of a state) x committed states / shard training time, " +
                          $"copy = the copy alone (the training thread's part when a core is spare for the digest); " +
                          $"medians of {repeats}; c = the spec's commit-every (its default when absent)");
        Console.WriteLine("  example             |   H |  c | state MB | step ms | commit ms | cost c=1 | cost c  | " +
                          "copy ms | copy c=1 | copy c  | " +
                          "replay / challenge         | detection / challenge: 1 faked step, 10% faked | " +
                          "wall: c=1, c over c=H");
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
        Console.WriteLine("  (detection: the chance that one challenged segment, drawn uniformly, holds a faked step; "
                          +
                          "a worker faking one step, " +
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

        var variants = new[] { 1, task.Every, h };
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
        double Wall(int c) => (Median(times[c]) - baseline) / baseline;
        var digests = new List<double>();
        for (var r = 0; r < 15; r++)
        {
            var fresh = new StateSnapshot(start.Tensors, start.Step + r);
            var clock = Stopwatch.StartNew();
            fresh.Digest();
            digests.Add(clock.Elapsed.TotalSeconds);
        }
        var commit = Median(digests);
        // The training thread's share: the copy of the state into a buffer (the digest thread hashes it).
        var buffer = new float[session.StateBytes / sizeof(float) + 1];
        var copies = new List<double>();
        for (var r = 0; r < 15; r++)
        {
            var clock = Stopwatch.StartNew();
            var at = 0;
            foreach (var t in start.Tensors)
            {
                Array.Copy(t.Values, 0, buffer, at, t.Values.Length);
                at += t.Values.Length;
            }
            copies.Add(clock.Elapsed.TotalSeconds);
        }
        var copy = Median(copies);
        double Commits(int c) => (h + c - 1) / c + 1;
        double Cost(int c) => commit * Commits(c) / baseline;
        double CopyCost(int c) => copy * Commits(c) / baseline;

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
        Console.WriteLine($"  {spec.Name,-19} | {h,3} | {task.Every,2} | {session.StateBytes / 1e6,8:F2} | " +
                          $"{1000 * baseline / h,7:F2} | {1000 * commit,9:F2} | {Cost(1),8:P1} | " +
                          $"{Cost(task.Every),7:P2} | {1000 * copy,7:F2} | {CopyCost(1),8:P1} | " +
                          $"{CopyCost(task.Every),7:P2} | " +
                          $"{task.Every,3} steps, {1000 * replay,7:F1} ms ({replay / baseline,5:P1}) | " +
                          $"{1.0 / task.Segments,20:P1}, {Detection(task, 0.10),23:P1} | " +
                          $"{Wall(1),6:P1}, {Wall(task.Every),6:P1}");
        if (candidates.Length > 0)
            Console.WriteLine("  " + new string(' ', 19) + " | cost by c: " + string.Join(", ",
                candidates.Where(c => c >= 1 && c <= h).Select(c => $"c = {c}: {Cost(c):P2}, copy {CopyCost(c):P2}")));
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
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Benchmarks;

/// <summary>
/// Replicated mode's dispute cost: two replicas run the same shard, one fakes step d, and the dispute is settled by
/// <see cref="Bisection"/> (hashes only) plus one <see cref="Referee"/> replay — against re-executing the whole shard.
/// </summary>
public static class DisputeBenchmark
{
    public static void Run(string dataDir, string specPath, int fakedStep = 37, int repeats = 5)
    {
        var spec = JobSpecParser.ParseFile(specPath);
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        // A dispute over a tree of every step (commit-every: 1); with c > 1 the referee replays c steps instead of one.
        var task = ShardTask.For(spec, 0, 0, data.Train.Count) with { CommitEvery = 1 };
        var h = task.InnerSteps;
        var start = session.InitialState;
        var stateBytes = session.StateBytes;
        Console.WriteLine($"dispute: {spec.Name}, {spec.Model.Kind}, batch {task.BatchSize}, H = {h} steps, {spec.Threads} thread(s); replica B fakes step {fakedStep} (its update scaled by 1.5) and trains on from there");
        Console.WriteLine($"  state: {stateBytes:N0} canonical bytes (parameters + optimizer buffers + step)");

        // Baseline: the verifier re-executes the whole shard (H steps, one digest per state), median of the repeats after a warm-up.
        session.RunShard(task with { InnerSteps = Math.Min(h, 10) }, start);
        var fullTimes = new List<double>();
        ShardOutcome? full = null;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            full = session.RunShard(task, start);
            fullTimes.Add(clock.Elapsed.TotalMilliseconds);
        }

        // The replicas: honest A keeps every state; cheating B fakes step d and trains on from the fake.
        var honest = new StateSnapshot[h + 1];
        honest[0] = start;
        for (var i = 1; i <= h; i++) honest[i] = session.ReplayStep(task, honest[i - 1], i);
        var cheat = honest.ToArray();
        cheat[fakedStep] = ScaleUpdate(honest[fakedStep - 1], honest[fakedStep], 1.5f);
        for (var i = fakedStep + 1; i <= h; i++) cheat[i] = session.ReplayStep(task, cheat[i - 1], i);
        var (digestsA, digestsB) = (honest.Select(s => s.Digest()).ToArray(), cheat.Select(s => s.Digest()).ToArray());
        if (!digestsA.SequenceEqual(full!.StepDigests)) throw new InvalidOperationException("step-by-step replay differs from the shard run: replay is not bit-identical");
        var (treeA, treeB) = (new MerkleTree(digestsA), new MerkleTree(digestsB));

        // Bisection over hashes only (timed warm, after one untimed run), then one replayed step.
        (Bisection, BisectionOutcome) Bisect()
        {
            var b = new Bisection(h, treeA.Root, treeB.Root);
            return (b, b.Run(q => Bisection.Answer(treeA, digestsA, q), q => Bisection.Answer(treeB, digestsB, q)));
        }
        Bisect();
        var bisectClock = Stopwatch.StartNew();
        var (bisection, outcome) = Bisect();
        var bisectMs = bisectClock.Elapsed.TotalMilliseconds;
        if (outcome is not Divergence divergence) throw new InvalidOperationException($"the bisection ended without a divergence: {outcome.Reason}");
        var referee = new Referee(session);
        var opened = honest[divergence.Leaf - 1];
        var refereeTimes = new List<double>();
        RefereeRuling? ruling = null;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            ruling = referee.Judge(task, divergence, digestsA[0], opened);
            refereeTimes.Add(clock.Elapsed.TotalMilliseconds);
        }

        var disputeBytes = bisection.BytesMoved + stateBytes;
        var bound = (int)Math.Ceiling(Math.Log2(h + 1)) + 2;
        Console.WriteLine($"  bisection             : {outcome.Reason}");
        Console.WriteLine($"  exchanges             : {bisection.Exchanges} (bound ceil(log2(H+1)) + 2 = {bound}), {bisectMs:F3} ms of hashing for both parties and the verifier (in process, warm)");
        Console.WriteLine($"  bytes moved           : {bisection.BytesMoved:N0} B of hashes and proofs (both parties, 32 B per hash) + {stateBytes:N0} B for the one opened state = {disputeBytes:N0} B");
        Console.WriteLine($"  referee               : {ruling!.Reason} -> culprit {ruling.Culprit}");
        Console.WriteLine($"  referee replay        : {Median(refereeTimes),8:F2} ms (one step from the opened state, with its digest check; median of {repeats})");
        Console.WriteLine($"  full shard replay     : {Median(fullTimes),8:F2} ms ({h} steps with a digest per state; median of {repeats})");
        Console.WriteLine($"  full replay bytes     : {2L * stateBytes:N0} B at least (start state + final state: 2 states), {(long)(h + 1) * stateBytes:N0} B to compare every state (H + 1 = {h + 1} states)");
        Console.WriteLine($"  dispute / full replay : time {Median(refereeTimes) / Median(fullTimes):P2}, bytes {(double)disputeBytes / (2L * stateBytes):P1} of the 2-state minimum");
    }

    /// <summary>before + scale · (after − before) on every tensor, with the step counter of <paramref name="after"/>.</summary>
    private static StateSnapshot ScaleUpdate(StateSnapshot before, StateSnapshot after, float scale) => new(
        after.Tensors.Select((t, i) => t with { Values = t.Values.Select((v, j) => before.Tensors[i].Values[j] + scale * (v - before.Tensors[i].Values[j])).ToArray() }),
        after.Step);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

using System.Diagnostics;
using Gensyn.Actors.Scheduling;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Benchmarks;

/// <summary>
/// The scheduler's matching (the pure SchedulerState the registry singleton runs) with simulated workers and queued shards:
/// workers with random prices, throughputs, memory and devices; shards of jobs with random requirements and price caps.
/// Each pass matches what it can, then every granted shard completes and frees its worker, until the queue is empty or
/// nothing more can be placed. Reports assignments per second, and how the cost grows when workers and shards grow tenfold.
/// </summary>
public static class SchedulerBenchmark
{
    public static void Run()
    {
        Console.WriteLine("scheduler: SchedulerState.Match with simulated workers and shards (random prices, throughput, memory, devices, requirements)");
        var small = Measure(workers: 1_000, shards: 10_000, seed: 1);
        var large = Measure(workers: 10_000, shards: 100_000, seed: 2);
        Console.WriteLine($"  tenfold workers and shards: {large.Seconds / small.Seconds:F1}x the time for 10x the assignments " +
                          $"({large.PerSecond / small.PerSecond:F2}x the assignments per second)");
    }

    private sealed record Result(double Seconds, double PerSecond);

    private static Result Measure(int workers, int shards, int seed)
    {
        var random = new Random(seed);
        var state = new SchedulerState<string>();
        for (var i = 0; i < workers; i++)
        {
            var gpu = random.NextDouble() < 0.3;
            state.Register(new WorkerEntry<string>((WorkerId)$"worker-{i}", $"ref-{i}", gpu ? "cuda" : "cpu", gpu ? 24 : 8 + random.Next(0, 56), 1,
                "cpu-x64-libtorch2.10-t1", Math.Round(0.05 + random.NextDouble() * 0.9, 3), $"0x{i:x40}", 20 + random.NextDouble() * 400));
        }
        // Jobs of 10 shards each; a few ask for what few workers offer.
        var requests = Enumerable.Range(0, shards).Select(i =>
        {
            var job = i / 10;
            var jobRandom = new Random(seed * 1_000_003 + job);
            var needs = new ShardNeeds(jobRandom.NextDouble() < 0.2 ? "cuda" : "any", jobRandom.NextDouble() < 0.3 ? 16 : 0, 0.3 + jobRandom.NextDouble() * 0.7);
            return new WorkRequest<string>((JobId)$"job-{job:x8}", 0, i % 10, $"shard-{i}", null, null, needs);
        }).ToList();

        var clock = Stopwatch.StartNew();
        foreach (var request in requests) state.Enqueue(request);
        var enqueueSeconds = clock.Elapsed.TotalSeconds;
        var assigned = 0;
        var passes = 0;
        while (state.Queue.Count > 0)
        {
            var grants = state.Match();
            passes++;
            if (grants.Count == 0) break;
            assigned += grants.Count;
            foreach (var (request, _) in grants) state.Release(request.Requester, completed: true);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var perSecond = assigned / seconds;
        Console.WriteLine($"  {workers,6:N0} workers, {shards,7:N0} shards: {assigned:N0} assigned in {passes} passes, {seconds * 1000:F0} ms " +
                          $"(enqueue {enqueueSeconds * 1000:F0} ms): {perSecond:N0} assignments/s; {state.Queue.Count:N0} left waiting " +
                          $"(\"{(state.Queue.Count > 0 ? state.WhyWaiting(state.Queue[0]) : "-")}\")");
        return new Result(seconds, perSecond);
    }
}

using System.Text.Json;
using Gensyn.Node.Local;
using Gensyn.Contracts.Chain;

namespace Gensyn.Benchmarks;

/// <summary>
/// How good a quote is: a local network (a coordinator with its devnet and two workers, real processes) quotes an
/// example, runs it paid from escrow, and compares the quote with what the job cost (paid to workers, from the money
/// trail) and how long it took on the coordinator (submitted to finished). Ratios, no assertion.
/// </summary>
public static class QuoteBenchmark
{
    public static void Run(string root, string dataDir, string example = "mnist-mlp.yaml", int workers = 2)
    {
        var executable = BenchCluster.FindExecutable(root);
        var repeats = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_REPEATS"), out var r) && r > 0 ? r : 2;
        var spec = Path.Combine(root, "examples", example);
        Console.WriteLine($"quote vs actual: examples/{example} on 1 coordinator (devnet) + {workers} worker(s), {repeats} run(s), {Environment.ProcessorCount} cores ({executable})");
        using var cluster = BenchCluster.Create(executable, dataDir);
        cluster.StartCoordinator();
        for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(workers);

        for (var run = 1; run <= repeats; run++)
        {
            var quoted = cluster.Run("cli", ["quote", spec, "--json", "-c", cluster.Coordinators]);
            Require(quoted, "quote", cluster);
            var quote = quoted.Json();
            var submitted = cluster.Run("cli", ["submit", spec, "--wait", "--json", "-c", cluster.Coordinators]);
            Require(submitted, "submit --wait", cluster);
            var jobId = submitted.Json().GetProperty("jobId").GetString()!;
            var job = Settled(cluster, jobId);
            var money = job.GetProperty("money");
            var price = job.GetProperty("price");
            var paid = money.GetProperty("paidMicros").GetInt64();
            var quotedCost = quote.GetProperty("costMicros").GetInt64();
            var took = (job.GetProperty("finishedAt").GetDateTimeOffset() - job.GetProperty("submittedAt").GetDateTimeOffset()).TotalSeconds;
            var quotedDuration = quote.GetProperty("durationSeconds").GetDouble();
            Console.WriteLine($"  run {run}: price {quote.GetProperty("pricePerHour").GetDouble():0.######} GENS/h quoted, {price.GetProperty("pricePerHour").GetDouble():0.######} locked; " +
                              $"{quote.GetProperty("stepsPerSecond").GetDouble():0.#} reference steps/s; {quote.GetProperty("computeHours").GetDouble():0.######} compute-hours quoted");
            Console.WriteLine($"         cost: quoted {Gens.Format(quotedCost)} GENS, paid {Gens.Format(paid)} GENS -> actual / quoted = {(double)paid / quotedCost:F3}");
            Console.WriteLine($"         duration: quoted {quotedDuration:F1} s, took {took:F1} s (coordinator, submitted -> finished) -> actual / quoted = {took / quotedDuration:F2}" +
                              $" ({job.GetProperty("trainSeconds").GetDouble():F1} s of shard training reported by workers)");
        }
    }

    /// <summary>The job's status once it ended and its payouts and the escrow's close are on chain.</summary>
    private static JsonElement Settled(LocalCluster cluster, string jobId)
    {
        var giveUp = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            var status = cluster.Run("cli", ["status", jobId, "--json", "-c", cluster.Coordinators]);
            if (status.ExitCode == 0 && status.Json() is var job && job.GetProperty("state").GetString() is "completed" or "failed" or "cancelled"
                && job.TryGetProperty("money", out var money) && money.ValueKind == JsonValueKind.Object && money.GetProperty("pending").GetArrayLength() == 0
                && money.GetProperty("refundedMicros").GetInt64() > 0)
                return job;
            if (DateTime.UtcNow > giveUp) throw new TimeoutException($"{jobId} did not settle in 10 minutes\n{cluster.Logs()}");
            Thread.Sleep(1000);
        }
    }

    private static void Require(LocalProcesses.Result result, string what, LocalCluster cluster)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {result.Stderr}\n{cluster.Logs()}");
    }
}

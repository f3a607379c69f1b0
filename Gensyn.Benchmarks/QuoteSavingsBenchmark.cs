using System.Globalization;
using System.Text.Json;

namespace Gensyn.Benchmarks;

/// <summary>
/// What the network's default asks save against the cloud: a local network (a coordinator with its devnet and two
/// workers, real processes, no <c>--price</c>) quotes every shipped example (<c>examples/*.yaml</c>,
/// <c>examples/byom/*.yaml</c>) with <c>gensyn quote --json</c>, and prints, per example, the price, the workers'
/// throughput, the cost and the saving against the cheapest cloud instance of its class. Figures, no assertion.
/// </summary>
public static class QuoteSavingsBenchmark
{
    public static void Run(string root, string dataDir, int workers = 2)
    {
        var executable = BenchCluster.FindExecutable(root);
        var examples = Directory.GetFiles(Path.Combine(root, "examples"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(root, "examples", "byom"), "*.yaml"))
            .Order(StringComparer.Ordinal).ToList();
        Console.WriteLine($"quote savings: {examples.Count} shipped examples on 1 coordinator (devnet) + {workers} " +
                          $"worker(s) at their default asks, {Environment.ProcessorCount} cores ({executable})");
        using var cluster = BenchCluster.Create(executable, dataDir);
        cluster.StartCoordinator();
        for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(workers);

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine("| example | price GENS/h | steps/s | cost GENS | cheapest cloud | cloud USD | saving |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var spec in examples)
        {
            var name = Path.GetRelativePath(root, spec);
            var quoted = cluster.Run("cli", ["quote", spec, "--json", "-c", cluster.Coordinators]);
            if (quoted.ExitCode != 0)
            {
                Console.WriteLine($"| {name} | quote failed ({quoted.ExitCode}): {quoted.Stderr.Trim()} |");
                continue;
            }
            var quote = quoted.Json();
            var cheapest = quote.GetProperty("cloud").GetProperty("references").EnumerateArray()
                .MinBy(r => r.GetProperty("usdPerHour").GetDouble());
            Console.WriteLine(string.Create(inv,
                $"| {name} | {quote.GetProperty("pricePerHour").GetDouble():0.######} " +
                $"| {quote.GetProperty("stepsPerSecond").GetDouble():0} | {quote.GetProperty("cost").GetString()} " +
                $"| {cheapest.GetProperty("provider").GetString()} {cheapest.GetProperty("instance").GetString()} " +
                $"({cheapest.GetProperty("usdPerHour").GetDouble():0.###}/h) " +
                $"| {cheapest.GetProperty("costUsd").GetDouble():0.######} " +
                $"| {cheapest.GetProperty("savingPercent").GetDouble():0.0}% |"));
        }
    }
}

using System.Globalization;

namespace Gensyn.Benchmarks;

/// <summary>
/// What the workers' asks save against the cloud: a local network (a coordinator with its devnet and two workers, real
/// processes) quotes every shipped example (<c>examples/*.yaml</c>, <c>examples/byom/*.yaml</c>) with
/// <c>gensyn quote --json</c>, once with the workers at their default asks (no <c>--price</c>) and once at the old
/// fixed ask of 0.2 GENS per compute-hour (<c>--price 0.2</c>), and prints per example the price, the workers'
/// throughput, the cost and the saving against the cheapest cloud instance of its class: as quoted (the work at the
/// class's reference throughput, billed at least the provider's minimum), on the work's hours alone, and counted the
/// old way (the workers' compute-hours one for one). Figures, no assertion.
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
                          $"worker(s), {Environment.ProcessorCount} cores ({executable})");
        var runs = new[] { ("default asks", Array.Empty<string>()), ("--price 0.2", ["--price", "0.2"]) };
        foreach (var (label, options) in runs)
        {
            Console.WriteLine($"workers at {label}:");
            using var cluster = BenchCluster.Create(executable, dataDir);
            cluster.StartCoordinator();
            for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}", options: options);
            cluster.WaitForWorkers(workers);
            Console.WriteLine("| example | GENS/h | steps/s | cost GENS | cheapest cloud | cloud USD (billed s) | saving " +
                              "| on the work's hours | compute-hours 1:1 |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var spec in examples) Console.WriteLine(Row(root, cluster, spec));
        }
    }

    private static string Row(string root, Node.Local.LocalCluster cluster, string spec)
    {
        var name = Path.GetRelativePath(root, spec);
        var quoted = cluster.Run("cli", ["quote", spec, "--json", "-c", cluster.Coordinators]);
        if (quoted.ExitCode != 0) return $"| {name} | quote failed ({quoted.ExitCode}): {quoted.Stderr.Trim()} |";
        var quote = quoted.Json();
        var cheapest = quote.GetProperty("cloud").GetProperty("references").EnumerateArray()
            .MinBy(r => r.GetProperty("usdPerHour").GetDouble());
        var usdPerHour = cheapest.GetProperty("usdPerHour").GetDouble();
        var costUsd = quote.GetProperty("cloud").GetProperty("costUsd").GetDouble();
        double Saving(double cloud) => (cloud - costUsd) / cloud * 100;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {quote.GetProperty("pricePerHour").GetDouble():0.######} " +
            $"| {quote.GetProperty("stepsPerSecond").GetDouble():0} | {quote.GetProperty("cost").GetString()} " +
            $"| {cheapest.GetProperty("provider").GetString()} {cheapest.GetProperty("instance").GetString()} " +
            $"({usdPerHour:0.###}/h) | {cheapest.GetProperty("costUsd").GetDouble():0.######} " +
            $"({cheapest.GetProperty("billedHours").GetDouble() * 3600:0.#}) " +
            $"| {cheapest.GetProperty("savingPercent").GetDouble():0.0}% " +
            $"| {Saving(cheapest.GetProperty("hours").GetDouble() * usdPerHour):0.0}% " +
            $"| {Saving(quote.GetProperty("computeHours").GetDouble() * usdPerHour):0.0}% |");
    }
}

using System.Diagnostics;
using Gensyn.Contracts.Chain;
using Gensyn.Node.Local;

namespace Gensyn.Benchmarks;

/// <summary>
/// Issue 17's campaign: per cheating behaviour, a seeded set of runs of an example spec (its own k) on a coordinator
/// with its devnet and three workers, one cheating (<see cref="CheatCampaign"/>). Per behaviour it reports the runs
/// whose model is byte-identical to `gensyn train` of the same seed, the runs where the cheater was convicted (a
/// rejected verdict) and slashed (a confirmed slash), what its stake paid and what it was paid, and the detection
/// latency: its results judged until the first rejected one. Every figure comes from `status --json` (rebuilt from
/// the job's journal) and `train --json`.
/// Arguments: [--runs N] [--spec FILE] [--behaviors a,b,...] [--honest-results N] [--minutes N] (a run's limit: one
/// that has not ended and settled by then counts as an error).
/// </summary>
public static class CampaignBenchmark
{
    public static readonly string[] Behaviors = ["lazy", "noisy", "stale", "wrong-data", "copycat", "refuser"];

    public static void Run(string root, string dataDir, string[] args)
    {
        var runs = Count(args, "--runs", 2, minimum: 1);
        var specFile = Path.GetFullPath(Option(args, "--spec") ?? Path.Combine(root, "examples", "mnist-mlp.yaml"));
        var honest = Count(args, "--honest-results", 8, minimum: 1);
        var limit = TimeSpan.FromMinutes(Count(args, "--minutes", 15, minimum: 1));
        var names = Option(args, "--behaviors")?.Split(',') ?? [.. Behaviors, "sleeper"];
        if (names.FirstOrDefault(b => b != "sleeper" && !Behaviors.Contains(b)) is { } unknown)
            throw new ArgumentException(
                $"--behaviors: unknown behaviour '{unknown}'; valid: {string.Join(", ", Behaviors)}, sleeper");
        var cheats = names
            .Select(b => b == "sleeper" ? new CheatCampaign.Cheat("lazy", honest) : new CheatCampaign.Cheat(b))
            .ToList();
        var executable = BenchCluster.FindExecutable(root);
        var yaml = File.ReadAllText(specFile);
        var seed0 = CheatCampaign.SeedOf(yaml);
        Console.WriteLine($"campaign: {Path.GetRelativePath(root, specFile)} (its own k), seeds {seed0}.." +
                          $"{seed0 + runs - 1}, 1 coordinator (devnet) + 3 workers, 1 cheating; " +
                          $"{Environment.ProcessorCount} cores ({executable})");

        var references = new Dictionary<long, string>();
        var rows = new List<string>();
        foreach (var cheat in cheats)
        {
            var outcomes = new List<(CheatCampaign.Outcome Outcome, bool Identical)>();
            for (var i = 0; i < runs; i++)
            {
                var seed = seed0 + i;
                var seeded = CheatCampaign.Seeded(yaml, seed);
                var clock = Stopwatch.StartNew();
                using var cluster = BenchCluster.Create(executable, dataDir);
                if (!references.TryGetValue(seed, out var reference))
                {
                    var file = Path.Combine(cluster.Root, "reference.yaml");
                    File.WriteAllText(file, seeded);
                    references[seed] = reference = CheatCampaign.TrainDigest(cluster, file);
                }
                CheatCampaign.Outcome outcome;
                try
                {
                    outcome = CheatCampaign.Run(cluster, seeded, cheat, limit);
                }
                catch (Exception e) when (e is LocalClusterException or TimeoutException)
                {
                    // Counted as a run that neither ended identical nor convicted; the first line says why.
                    Console.WriteLine($"  {cheat.Label,-22} seed {seed}: ERROR {e.Message.Split('\n')[0]}");
                    outcomes.Add((new CheatCampaign.Outcome("", "error", null, [], null, null, 0, 0), false));
                    continue;
                }
                var identical = outcome.FinalDigest == reference;
                outcomes.Add((outcome, identical));
                var verdicts = outcome.Convicted
                    ? $"{outcome.ConvictedAfter} judged until {outcome.Conviction}"
                    : $"{outcome.Verdicts.Count} judged, none rejected";
                Console.WriteLine($"  {cheat.Label,-22} seed {seed}: {outcome.State}, " +
                                  $"{(identical ? "IDENTICAL to train" : "DIFFERS from train")}" +
                                  $"; its results: {verdicts}; slashed " +
                                  $"{Gens.Format(outcome.SlashedMicros)}, paid " +
                                  $"{Gens.Format(outcome.PaidMicros)} GENS " +
                                  $"({clock.Elapsed.TotalSeconds:F0} s)");
            }
            rows.Add(Row(cheat, outcomes));
        }
        Console.WriteLine();
        Console.WriteLine("| behaviour | runs identical to `train` | convicted | slashed " +
                          "| stake paid (GENS, per run) " +
                          "| paid to it (GENS, per run) | results until conviction |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    /// <summary>One table row of <paramref name="runs"/>, each with whether its model equalled train's.</summary>
    private static string Row(CheatCampaign.Cheat cheat,
                              IReadOnlyList<(CheatCampaign.Outcome Outcome, bool Identical)> runs)
    {
        var n = runs.Count;
        var outcomes = runs.Select(r => r.Outcome).ToList();
        var latencies = outcomes.Where(o => o.Convicted).Select(o => o.ConvictedAfter!.Value).ToList();
        var how = string.Join(", ", outcomes.Where(o => o.Convicted).GroupBy(o => o.Conviction)
            .Select(g => $"{g.Count()} {g.Key}"));
        return $"| {cheat.Label} | {runs.Count(r => r.Identical)} of {n} " +
               $"| {latencies.Count} of {n}{(how.Length > 0 ? $" ({how})" : "")} " +
               $"| {outcomes.Count(o => o.SlashedMicros > 0)} of {n} " +
               $"| {string.Join(" / ", outcomes.Select(o => Gens.Format(o.SlashedMicros)))} " +
               $"| {string.Join(" / ", outcomes.Select(o => Gens.Format(o.PaidMicros)))} " +
               $"| {(latencies.Count == 0 ? "—" : string.Join(" / ", latencies))} |";
    }

    private static int Count(string[] args, string name, int fallback, int minimum) =>
        Option(args, name) is not { } text ? fallback
        : int.TryParse(text, out var n) && n >= minimum ? n
        : throw new ArgumentException($"{name}: must be a whole number, at least {minimum}, got '{text}'");

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

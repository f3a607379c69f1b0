using System.Diagnostics;
using Gensyn.Contracts.Chain;
using Gensyn.Node.Local;
using Gensyn.Testing.Verification;

namespace Gensyn.Benchmarks;

/// <summary>
/// Issue 17's campaign: per cheating behaviour, a seeded set of runs of an example spec (its own k) on a coordinator
/// with its devnet and three workers, one cheating (<see cref="CheatCampaign"/>). Per behaviour it reports the runs
/// whose model is byte-identical to `gensyn train` of the same seed, the runs where the cheater was convicted (a
/// rejected verdict) and slashed (a confirmed slash), what its stake paid and what it was paid, and the detection
/// latency: its results judged until the first rejected one; its results revoked after the fact, the rollbacks and the
/// seconds each took to recompute the rounds it discarded; and the job's verification seconds against its training
/// seconds. Every figure comes from `status --json` (rebuilt from the job's journal) and `train --json`.
/// Arguments: [--runs N] [--spec FILE] [--behaviors a,b,...] [--honest-results N] [--minutes N] (a run's limit: one
/// that has not ended and settled by then counts as an error) [--seed N] (the first seed; default the spec's) [--rounds N]
/// (the spec's rounds) [--blind-rounds N] (the
/// coordinator challenges the cheater's results of rounds below N on their last step only, GENSYN_BLIND_CHALLENGES:
/// a rehearsal of the draw missing a cheat, so that a later conviction has work to purge) [--new-key-samples N] (the coordinator's
/// gensyn.verification.new-key-samples; 0 turns the new-key ramp off). The behaviour "honest" runs three honest
/// workers: the cost of verification when nobody cheats.
/// </summary>
public static class CampaignBenchmark
{
    public static readonly string[] Behaviors = ["lazy", "noisy", "stale", "wrong-data", "copycat", "refuser"];

    /// <summary>Names that are not a cheat of their own: the sleeper (lazy after --honest-results honest results) and
    /// an honest run.</summary>
    private static readonly string[] Others = ["sleeper", "honest"];

    public static void Run(string root, string dataDir, string[] args)
    {
        var runs = Count(args, "--runs", 10, minimum: 1);
        var specFile = Path.GetFullPath(Option(args, "--spec") ?? Path.Combine(root, "examples", "mnist-mlp.yaml"));
        var honest = Count(args, "--honest-results", 8, minimum: 1);
        var limit = TimeSpan.FromMinutes(Count(args, "--minutes", 15, minimum: 1));
        var names = Option(args, "--behaviors")?.Split(',') ?? [.. Behaviors, "sleeper"];
        if (names.FirstOrDefault(b => !Others.Contains(b) && !Behaviors.Contains(b)) is { } unknown)
            throw new ArgumentException($"--behaviors: unknown behaviour '{unknown}'; valid: " +
                                        string.Join(", ", Behaviors.Concat(Others)));
        var newKeySamples = Option(args, "--new-key-samples") is null
            ? (int?)null
            : Count(args, "--new-key-samples", 0, minimum: 0);
        var cheats = names
            .Select(b => b == "sleeper" ? new CheatCampaign.Cheat("lazy", honest) : new CheatCampaign.Cheat(b))
            .ToList();
        var blind = Option(args, "--blind-rounds") is null ? 0 : Count(args, "--blind-rounds", 0, minimum: 1);
        var executable = BenchCluster.FindExecutable(root);
        var config = newKeySamples is { } samples ? NewKeySamples(executable, samples) : null;
        var yaml = File.ReadAllText(specFile);
        if (Option(args, "--rounds") is not null)
            yaml = CheatCampaign.WithRounds(yaml, Count(args, "--rounds", 0, minimum: 1));
        var seed0 = Option(args, "--seed") is null ? CheatCampaign.SeedOf(yaml) : Count(args, "--seed", 0, minimum: 0);
        Console.WriteLine($"campaign: {Path.GetRelativePath(root, specFile)} (its own k" +
                          (Option(args, "--rounds") is { } r ? $", {r} rounds" : "") + $"), seeds {seed0}.." +
                          $"{seed0 + runs - 1}, 1 coordinator (devnet) + 3 workers, 1 cheating; " +
                          (newKeySamples is { } k ? $"new-key-samples = {k}; " : "") +
                          (blind > 0 ? $"the cheater's results of rounds below {blind} challenged blind; " : "") +
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
                if (blind > 0)
                    cluster.CoordinatorEnvironment[BlindChallenges.Variable] = $"{CheatCampaign.Cheater}:{blind}";
                if (!references.TryGetValue(seed, out var reference))
                {
                    var file = Path.Combine(cluster.Root, "reference.yaml");
                    File.WriteAllText(file, seeded);
                    references[seed] = reference = CheatCampaign.TrainDigest(cluster, file);
                }
                CheatCampaign.Outcome outcome;
                try
                {
                    outcome = CheatCampaign.Run(cluster, seeded, cheat, limit, config);
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
                var rollbacks = outcome.RecomputedSeconds ?? [];
                Console.WriteLine($"  {cheat.Label,-22} seed {seed}: {outcome.State}, " +
                                  $"{(identical ? "IDENTICAL to train" : "DIFFERS from train")}" +
                                  $"; its results: {verdicts}, {outcome.Revoked} revoked; " +
                                  $"{rollbacks.Count} rollback(s)" +
                                  (rollbacks.Count == 0 ? "" : $" recomputed in {string.Join(" + ", rollbacks.Select(
                                      r => double.IsNaN(r) ? "?" : $"{r:F1}"))} s") +
                                  $"; slashed {Gens.Format(outcome.SlashedMicros)} (restitution asked " +
                                  $"{Gens.Format(outcome.RestitutionAskedMicros)}, taken " +
                                  $"{Gens.Format(outcome.RestitutionTakenMicros)}), paid " +
                                  $"{Gens.Format(outcome.PaidMicros)} GENS; verify/train " +
                                  $"{outcome.VerifySeconds:F1}/{outcome.TrainSeconds:F1} s " +
                                  $"({clock.Elapsed.TotalSeconds:F0} s)");
            }
            rows.Add(Row(cheat, outcomes));
        }
        Console.WriteLine();
        Console.WriteLine("| behaviour | runs identical to `train` | convicted | slashed " +
                          "| stake paid (GENS per run: median, min–max) " +
                          "| paid to it (GENS per run: median, min–max) | results until conviction (runs) " +
                          "| revoked after the fact (runs with a rollback) | restitution asked / taken (GENS, all runs) " +
                          "| seconds of recomputation per rollback (median, max) | verify / train seconds |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
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
        var recomputed = outcomes.SelectMany(o => o.RecomputedSeconds ?? []).Where(s => !double.IsNaN(s)).ToList();
        var train = outcomes.Sum(o => o.TrainSeconds);
        return $"| {cheat.Label} | {runs.Count(r => r.Identical)} of {n} " +
               $"| {latencies.Count} of {n}{(how.Length > 0 ? $" ({how})" : "")} " +
               $"| {outcomes.Count(o => o.SlashedMicros > 0)} of {n} " +
               $"| {Spread(outcomes.Select(o => o.SlashedMicros))} " +
               $"| {Spread(outcomes.Select(o => o.PaidMicros))} " +
               $"| {(latencies.Count == 0 ? "—" : string.Join(", ", latencies.GroupBy(l => l).OrderBy(g => g.Key)
                   .Select(g => $"{g.Key} ({g.Count()})")))} " +
               $"| {outcomes.Sum(o => o.Revoked)} ({outcomes.Count(o => o.RecomputedSeconds is { Count: > 0 })}) " +
               $"| {Gens.Format(outcomes.Sum(o => o.RestitutionAskedMicros))} / " +
               $"{Gens.Format(outcomes.Sum(o => o.RestitutionTakenMicros))} " +
               $"| {(recomputed.Count == 0 ? "—" : $"{Median(recomputed):F1}, {recomputed.Max():F1}")} " +
               $"| {outcomes.Sum(o => o.VerifySeconds):F0} / {train:F0}" +
               $"{(train > 0 ? $" ({outcomes.Sum(o => o.VerifySeconds) / train:P0})" : "")} |";
    }

    /// <summary>A copy of the executable's cluster.hocon with <c>new-key-samples</c> set to
    /// <paramref name="samples"/>.</summary>
    private static string NewKeySamples(string executable, int samples)
    {
        var shipped = File.ReadAllText(Path.Combine(Path.GetDirectoryName(executable)!, "cluster.hocon"));
        var line = new System.Text.RegularExpressions.Regex(@"(?m)^(\s*new-key-samples\s*=\s*)\d+");
        if (!line.IsMatch(shipped))
            throw new InvalidOperationException("the shipped cluster.hocon has no new-key-samples line to change");
        var file = Path.Combine(Path.GetTempPath(), $"gensyn-campaign-{Environment.ProcessId}.hocon");
        File.WriteAllText(file, line.Replace(shipped, m => m.Groups[1].Value + samples, 1));
        return file;
    }

    /// <summary>Amounts in GENS as "median, min–max" (one figure when they are all equal).</summary>
    private static string Spread(IEnumerable<long> micros)
    {
        var all = micros.Order().ToList();
        if (all.Count == 0) return "—";
        var median = Gens.Format(all[all.Count / 2]);
        return all[0] == all[^1] ? median : $"{median}, {Gens.Format(all[0])}–{Gens.Format(all[^1])}";
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
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

using System.Text.Json;
using System.Text.RegularExpressions;
using Gensyn.Contracts.Signing;

namespace Gensyn.Node.Local;

/// <summary>
/// One rehearsed attack on a local network: a job of a spec runs on three workers, one of them cheating
/// (GENSYN_WORKER_BEHAVIOR), and what became of it is read back from the coordinator's <c>status --json</c> (its
/// verdicts, the final digest and the money trail, all rebuilt from the job's journal). What the campaign benchmark
/// repeats per behaviour, and what a test of the purge can run once.
/// </summary>
public static partial class CheatCampaign
{
    /// <summary>The cheating worker's name (and id).</summary>
    public const string Cheater = "cheater";

    /// <summary>
    /// A cheat: <paramref name="Behavior"/> as GENSYN_WORKER_BEHAVIOR names it, honest for its first
    /// <paramref name="HonestResults"/> results (GENSYN_WORKER_HONEST_RESULTS).
    /// </summary>
    public sealed record Cheat(string Behavior, int HonestResults = 0)
    {
        public string Label => HonestResults > 0 ? $"{Behavior} after {HonestResults} honest" : Behavior;

        /// <summary>A copycat copies roots a replica published, so it needs replicated mode.</summary>
        public bool NeedsReplicas => Behavior == "copycat";

        /// <summary>
        /// The jobs one run submits, one after another. A refuser is excluded from a job at its first unanswered
        /// challenge, and refusal convicts only when it repeats (<c>gensyn.purge.refusals-to-convict</c>, 3 by
        /// default): its run is that many jobs of the same spec, the last of which convicts it.
        /// </summary>
        public int Jobs => Behavior == "refuser" ? RefusalsToConvict : 1;
    }

    /// <summary>The coordinator's default <c>gensyn.purge.refusals-to-convict</c>.</summary>
    public const int RefusalsToConvict = 3;

    /// <summary>
    /// What one run ended with. <paramref name="State"/>: the job's state; <paramref name="FinalDigest"/>: its model's
    /// digest (null unless completed); <paramref name="Verdicts"/>: the cheater's verdicts in the order they were
    /// journaled; <paramref name="ConvictedAfter"/>: how many of its results were judged up to and including the
    /// first rejected one (null when none was rejected); <paramref name="Conviction"/>: that verdict's outcome;
    /// <paramref name="SlashedMicros"/>: what confirmed slashes took from its stake; <paramref name="PaidMicros"/>:
    /// what confirmed round payouts paid it; <paramref name="Revoked"/>: its results revoked after the fact;
    /// <paramref name="RecomputedSeconds"/>: per rollback, the wall seconds until the job had aggregated every round
    /// it discarded again; <paramref name="TrainSeconds"/> and <paramref name="VerifySeconds"/>: the job's training
    /// and verification compute, as its verdicts report them; <paramref name="RestitutionAskedMicros"/>: what the
    /// purges charged its stake (payouts paid back and the recomputation), <paramref name="RestitutionTakenMicros"/>
    /// what the stake still held of it (a fraud's slash may have taken the stake first).
    /// </summary>
    public sealed record Outcome(
        string JobId, string State, string? FinalDigest, IReadOnlyList<string> Verdicts, int? ConvictedAfter,
        string? Conviction, long SlashedMicros, long PaidMicros, int Revoked = 0,
        IReadOnlyList<double>? RecomputedSeconds = null, double TrainSeconds = 0, double VerifySeconds = 0,
        long RestitutionAskedMicros = 0, long RestitutionTakenMicros = 0)
    {
        public bool Convicted => ConvictedAfter is not null;
    }

    /// <summary>
    /// <paramref name="specYaml"/> with the training seed <paramref name="seed"/>: one run of a seeded set.
    /// </summary>
    /// <exception cref="ArgumentException">The spec has no training seed to replace.</exception>
    public static string Seeded(string specYaml, long seed) => SeedLine().IsMatch(specYaml)
        ? SeedLine().Replace(specYaml, m => m.Groups[1].Value + seed, 1)
        : throw new ArgumentException("the spec has no `seed:` line under training: add one to run it seeded");

    /// <summary><paramref name="specYaml"/> with <paramref name="rounds"/> training rounds.</summary>
    /// <exception cref="ArgumentException">The spec has no rounds line under training.</exception>
    public static string WithRounds(string specYaml, int rounds) => RoundsLine().IsMatch(specYaml)
        ? RoundsLine().Replace(specYaml, m => m.Groups[1].Value + rounds, 1)
        : throw new ArgumentException("the spec has no `rounds:` line under training to replace");

    /// <summary>The training seed of <paramref name="specYaml"/>.</summary>
    /// <exception cref="ArgumentException">The spec has no training seed.</exception>
    public static long SeedOf(string specYaml) => SeedLine().Match(specYaml) is { Success: true } m
        ? long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
        : throw new ArgumentException("the spec has no `seed:` line under training: add one to run it seeded");

    /// <summary><paramref name="specYaml"/> in replicated mode (its one-line <c>verification:</c> replaced).</summary>
    /// <exception cref="ArgumentException">The spec has no one-line verification setting.</exception>
    public static string Replicated(string specYaml) => VerificationLine().IsMatch(specYaml)
        ? VerificationLine().Replace(specYaml, "verification: { mode: replicated }", 1)
        : throw new ArgumentException("the spec has no one-line `verification:` to switch to replicated mode");

    /// <summary>The final digest `gensyn train` prints for <paramref name="specFile"/>.</summary>
    public static string TrainDigest(LocalCluster cluster, string specFile)
    {
        var trained = cluster.Run("train", ["train", specFile, "--json"], TimeSpan.FromMinutes(30));
        Require(trained, "train", cluster);
        return Json(trained).GetProperty("finalDigest").GetString()!;
    }

    /// <summary>
    /// Runs <paramref name="specYaml"/> (a spot-check spec; in replicated mode for a copycat) on a new coordinator
    /// with its devnet and three workers, <see cref="Cheater"/> started first, and returns once the job ended and its
    /// money settled. A copycat's operator paid for the same training before, on a worker that left since: it copies
    /// that job's published roots. Fails (<see cref="LocalClusterException"/>) when the job has not ended and settled
    /// within <paramref name="limit"/> (default 30 minutes). <paramref name="coordinatorConfig"/>: the coordinator's
    /// cluster.hocon (null: the one shipped beside the executable).
    /// </summary>
    public static Outcome Run(LocalCluster cluster, string specYaml, Cheat cheat, TimeSpan? limit = null,
                              string? coordinatorConfig = null)
    {
        cluster.StartCoordinator(config: coordinatorConfig);
        var environment = new Dictionary<string, string>
        {
            ["GENSYN_WORKER_BEHAVIOR"] = cheat.Behavior,
            ["GENSYN_WORKER_HONEST_RESULTS"] = $"{cheat.HonestResults}",
        };
        if (cheat.NeedsReplicas)
        {
            environment["GENSYN_COPYCAT_JOB"] = EarlierJob(cluster, specYaml);
            environment["GENSYN_COPYCAT_KEY"] = Path.Combine(cluster.DataDir("cli"), "wallet.key");
        }
        cluster.StartWorker(Cheater, environment: environment);
        cluster.WaitForWorkers(1);
        cluster.StartWorker("honest-1");
        cluster.StartWorker("honest-2");
        cluster.WaitForWorkers(3);

        var spec = Path.Combine(cluster.Root, "campaign.yaml");
        File.WriteAllText(spec, cheat.NeedsReplicas ? Replicated(specYaml) : specYaml);
        var address = WorkerKey.Load(Path.Combine(cluster.DataDir(Cheater), "worker.key")).Address;
        var jobs = new List<string>();
        for (var i = 0; i < cheat.Jobs; i++)
        {
            var submitted = cluster.Run("cli", ["submit", spec, "--json", "-c", cluster.Coordinators]);
            Require(submitted, "submit", cluster);
            jobs.Add(Json(submitted).GetProperty("jobId").GetString()!);
            Settled(cluster, jobs[^1], limit ?? TimeSpan.FromMinutes(30));
        }
        if (jobs.Count == 1) return Read(jobs[0], Settled(cluster, jobs[0], limit ?? TimeSpan.FromMinutes(30)), address);
        // The conviction in the last job charges the earlier ones too (RefusalCharged), after they ended.
        return Combined(jobs.Select(job => Read(job, Charged(cluster, job, address, limit), address)).ToList());
    }

    /// <summary>A run of several jobs as one outcome: its jobs' figures added up, its verdicts in order, and a final
    /// digest only when every job completed with the same one.</summary>
    private static Outcome Combined(IReadOnlyList<Outcome> jobs)
    {
        var verdicts = jobs.SelectMany(o => o.Verdicts).ToList();
        var first = verdicts.FindIndex(o => o != "accepted");
        var state = jobs.FirstOrDefault(o => o.State != "completed")?.State ?? "completed";
        var digest = jobs.Select(o => o.FinalDigest).Distinct().Count() == 1 ? jobs[0].FinalDigest : null;
        return new Outcome(jobs[^1].JobId, state, digest, verdicts, first < 0 ? null : first + 1,
            first < 0 ? null : verdicts[first], jobs.Sum(o => o.SlashedMicros), jobs.Sum(o => o.PaidMicros),
            jobs.Sum(o => o.Revoked), jobs.SelectMany(o => o.RecomputedSeconds ?? []).ToList(),
            jobs.Sum(o => o.TrainSeconds), jobs.Sum(o => o.VerifySeconds), jobs.Sum(o => o.RestitutionAskedMicros),
            jobs.Sum(o => o.RestitutionTakenMicros));
    }

    /// <summary>Job <paramref name="jobId"/>'s status once a slash of <paramref name="address"/> is journalled in it
    /// (the refusal's charge) and everything is settled; as it stands when none came within the limit.</summary>
    private static JsonElement Charged(LocalCluster cluster, string jobId, string address, TimeSpan? limit)
    {
        try
        {
            cluster.AwaitCondition(() =>
            {
                var status = cluster.Run("cli", ["status", jobId, "--json", "-c", cluster.Coordinators]);
                if (status.ExitCode != 0 || !Json(status).TryGetProperty("money", out var money)
                                         || money.ValueKind != JsonValueKind.Object) return false;
                // A charge journalled shows as a slash of the key, settled or pending.
                return money.GetProperty("pending").GetArrayLength() > 0
                       || money.GetProperty("settlements").EnumerateArray().Any(s => Is(s, "kind", "slash")
                           && string.Equals(s.GetProperty("provider").GetString(), address,
                               StringComparison.OrdinalIgnoreCase));
            }, TimeSpan.FromMinutes(2), $"a refusal charge in job {jobId}");
        }
        catch (LocalClusterException)
        {
            // Read as it stands: the table shows what was not charged.
        }
        return Settled(cluster, jobId, limit ?? TimeSpan.FromMinutes(30));
    }

    /// <summary>The cheater's figures in a job's <c>status --json</c>; <paramref name="address"/>: its key's.</summary>
    public static Outcome Read(string jobId, JsonElement status, string address)
    {
        var verdicts = status.TryGetProperty("verdicts", out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(e => e.GetProperty("workerId").GetString() == Cheater)
                .Select(e => e.GetProperty("outcome").GetString()!.ToLowerInvariant()).ToList()
            : [];
        var first = verdicts.FindIndex(o => o != "accepted");
        long slashed = 0, paid = 0, asked = 0, taken = 0;
        if (status.TryGetProperty("money", out var money) && money.ValueKind == JsonValueKind.Object)
        {
            foreach (var s in money.GetProperty("settlements").EnumerateArray())
            {
                if (Is(s, "kind", "slash") && s.TryGetProperty("requestedMicros", out var requested)
                                           && requested.ValueKind == JsonValueKind.Number)
                {
                    asked += requested.GetInt64();
                    if (Is(s, "status", "confirmed")) taken += s.GetProperty("amountMicros").GetInt64();
                }
                if (!Is(s, "status", "confirmed")) continue;
                if (Is(s, "kind", "slash") && string.Equals(s.GetProperty("provider").GetString(), address,
                        StringComparison.OrdinalIgnoreCase))
                    slashed += s.GetProperty("amountMicros").GetInt64();
                if (Is(s, "kind", "payRound"))
                    paid += s.GetProperty("payees").EnumerateArray()
                        .Where(p => p.GetProperty("workerId").GetString() == Cheater)
                        .Sum(p => p.GetProperty("micros").GetInt64());
            }
        }
        var purges = status.TryGetProperty("purges", out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().ToList()
            : [];
        var revoked = purges.Count(e => Is(e, "action", "revoked"));
        var recomputed = purges.Where(e => Is(e, "action", "rolled-back"))
            .Select(e => e.TryGetProperty("recomputedSeconds", out var t) && t.ValueKind == JsonValueKind.Number
                ? t.GetDouble()
                : double.NaN)
            .ToList();
        var state = status.GetProperty("state").GetString()!.ToLowerInvariant();
        var digest = state == "completed" ? status.GetProperty("finalDigest").GetString() : null;
        return new Outcome(jobId, state, digest, verdicts, first < 0 ? null : first + 1,
            first < 0 ? null : verdicts[first], slashed, paid, revoked, recomputed, Seconds(status, "trainSeconds"),
            Seconds(status, "verifySeconds"), asked, taken);
    }

    private static double Seconds(JsonElement status, string property) =>
        status.TryGetProperty(property, out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;

    private static bool Is(JsonElement e, string property, string value) =>
        string.Equals(e.GetProperty(property).GetString(), value, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The same training paid for earlier on a worker of its own (spot-check mode: the roots are the same), which then
    /// leaves; returns that job's id.
    /// </summary>
    private static string EarlierJob(LocalCluster cluster, string specYaml)
    {
        cluster.StartWorker("earlier");
        cluster.WaitForWorkers(1);
        var spec = Path.Combine(cluster.Root, "earlier.yaml");
        File.WriteAllText(spec, specYaml);
        var paid = cluster.Run("cli", ["submit", spec, "--wait", "--json", "-c", cluster.Coordinators],
            TimeSpan.FromMinutes(30));
        Require(paid, "submit --wait (the copycat's earlier job)", cluster);
        cluster.Kill(cluster.WorkerProcess("earlier"));
        cluster.AwaitCondition(
            () => !cluster.Run("cli", ["workers", "--json", "-c", cluster.Coordinators]).Stdout.Contains("\"earlier\""),
            TimeSpan.FromSeconds(90), "the earlier worker to leave the registry");
        return Json(paid).GetProperty("jobId").GetString()!;
    }

    /// <summary>The job's status once it ended and its payouts, slashes and the escrow's release are settled.</summary>
    private static JsonElement Settled(LocalCluster cluster, string jobId, TimeSpan limit)
    {
        JsonElement? last = null;
        cluster.AwaitCondition(() =>
        {
            var status = cluster.Run("cli", ["status", jobId, "--json", "-c", cluster.Coordinators]);
            if (status.ExitCode != 0) return false;
            var job = Json(status);
            last = job;
            var state = job.GetProperty("state").GetString()?.ToLowerInvariant();
            if (state is not ("completed" or "failed" or "cancelled")) return false;
            // A network without a chain has no money to wait for.
            return !job.TryGetProperty("money", out var money) || money.ValueKind != JsonValueKind.Object
                   || (money.GetProperty("pending").GetArrayLength() == 0
                       && money.GetProperty("refundedMicros").GetInt64() > 0);
        }, limit, $"job {jobId} to end and settle");
        return last!.Value;
    }

    private static JsonElement Json(LocalProcesses.Result result) =>
        JsonDocument.Parse(result.Stdout).RootElement.Clone();

    private static void Require(LocalProcesses.Result result, string what, LocalCluster cluster)
    {
        if (result.ExitCode != 0)
            throw new LocalClusterException(
                $"gensyn {what} exited with {result.ExitCode}: {result.Stderr}\n{result.Stdout}\n{cluster.Logs()}");
    }

    [GeneratedRegex(@"(?m)^(\s+seed:\s*)(\d+)")]
    private static partial Regex SeedLine();

    [GeneratedRegex(@"(?m)^(\s+rounds:\s*)(\d+)")]
    private static partial Regex RoundsLine();

    [GeneratedRegex(@"(?m)^verification:.*$")]
    private static partial Regex VerificationLine();
}

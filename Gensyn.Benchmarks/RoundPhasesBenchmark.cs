using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Local;
using Gensyn.Tests.Cluster;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// Where a round's time goes: one job of a spec through a real local cluster (a coordinator with its devnet and
/// workers as separate processes, as <c>gensyn demo</c> runs it) and <c>gensyn train</c> of the same spec in one
/// process, in one run on one machine. The phases come from what the nodes record, all on this machine's clock: the
/// job's journal (RoundStarted, ShardAssigned, ShardCheckpointSaved, ShardVerified, ShardCompleted, RoundCompleted,
/// SettlementPosted, JobCompleted), each worker's log (a shard's fetch, data-and-model, train and upload times when it
/// is done; how long it took to open the challenged steps) and the coordinator's log (when it received a result and
/// challenged it; when its verifier finished a replay and how long the replay took).
/// </summary>
public static partial class RoundPhasesBenchmark
{
    /// <summary>The phases of a round's critical path, in order: the chain of the worker whose shard completed last,
    /// from the round's start to the next round's start.</summary>
    private static readonly string[] Phases =
    [
        "sched", "deliver", "fetch", "setup", "train", "upload", "result", "chall", "open", "vfetch", "replay",
        "verdict", "aggr", "next",
    ];

    private static readonly Dictionary<string, string> PhaseMeaning = new()
    {
        ["sched"] = "round start or the worker's previous shard completed (its result received, when the worker was " +
                    "granted the next shard before the verdict) -> ShardAssigned journaled",
        ["deliver"] = "ShardAssigned journaled -> the worker starts on it (assignment crosses the edge)",
        ["fetch"] = "start-state transfer: the worker fetches the spec and the start state",
        ["setup"] = "the worker's data and model for the shard (its session)",
        ["train"] = "H inner steps, with the per-step commitment and the checkpoint serialisation inside",
        ["upload"] = "the end state uploaded to the coordinator",
        ["result"] = "the worker's signed result -> the coordinator receives it and draws the challenge",
        ["chall"] = "the challenge reaches the worker's responder",
        ["open"] = "the worker rebuilds and uploads the challenged states, signs the openings",
        ["vfetch"] = "openings received -> the verifier starts its replay (it fetches the opened states)",
        ["replay"] = "the verifier's judge (VerifySeconds): session, replay of the k challenged steps",
        ["verdict"] = "replay done -> ShardVerified and ShardCompleted journaled",
        ["aggr"] = "last shard completed -> RoundCompleted (the outer step)",
        ["next"] = "RoundCompleted -> next RoundStarted (the next round's start states)",
    };

    public static void Run(string root, string dataDir, string[] args)
    {
        var specPath = Path.GetFullPath(Option(args, "--spec") ?? Path.Combine(root, "examples", "mnist-mlp.yaml"));
        var workers = int.Parse(Option(args, "--workers") ?? "2", CultureInfo.InvariantCulture);
        var jobs = int.Parse(Option(args, "--jobs") ?? "1", CultureInfo.InvariantCulture);
        var spec = JobSpecParser.ParseFile(specPath);
        var executable = BenchCluster.FindExecutable(root);
        Console.WriteLine($"round phases: {spec.Name} ({spec.Rounds} rounds x {spec.Shards} shards x " +
                          $"{spec.InnerSteps} steps), {workers} workers; real processes ({executable}), " +
                          $"{Environment.ProcessorCount} cores; other builds may share the machine");

        using var cluster = BenchCluster.Create(executable, dataDir);
        // `gensyn train` first, while no node runs: the same spec in one process.
        var trained = cluster.Run("train", ["train", specPath, "--json"], TimeSpan.FromMinutes(30));
        Require(trained, "train", cluster);
        var local = trained.Json();

        cluster.StartCoordinator();
        for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(workers);

        // A returning requester: its wallet exists and holds GENS (a newcomer's first submit also creates it and asks
        // the devnet faucet, two more transactions).
        Require(cluster.Run("cli", ["wallet", "new"]), "wallet new", cluster);
        Require(cluster.Run("cli", ["wallet", "faucet", "-c", cluster.Coordinators]), "wallet faucet", cluster);

        // The loopback's idle rate (heartbeats, pings, the devnet) over 5 s, subtracted from the job's bytes.
        var idleFrom = ClusterBenchmarks.Loopback();
        Thread.Sleep(TimeSpan.FromSeconds(5));
        var idlePerSecond = (ClusterBenchmarks.Loopback() - idleFrom) / 5.0;

        var version = cluster.Run("cli", ["--help"]);
        Require(version, "--help", cluster);
        JobRecord? job = null;
        // --jobs N: the same spec again on the same cluster once each job has ended. The first job meets processes that
        // have just started (their code not yet compiled to its final tier, no dataset chunk cached); the later ones
        // meet a cluster that has run a job before, as a long-running network's nodes have.
        for (var j = 0; j < jobs; j++)
        {
            if (j > 0)
                Console.WriteLine($"  job {j + 1} of {jobs}: the same spec again, on the same cluster " +
                                  "(its processes warm, the dataset's chunks already on the workers)");
            var loopbackFrom = ClusterBenchmarks.Loopback();
            var launched = DateTimeOffset.Now;
            var submitted = cluster.Run("cli", ["submit", specPath, "--json", "-c", cluster.Coordinators],
                TimeSpan.FromMinutes(5));
            Require(submitted, "submit", cluster);
            var jobId = submitted.Json().GetProperty("jobId").GetString()!;
            var events = WaitForEnd(cluster, jobId);
            var loopback = ClusterBenchmarks.Loopback() - loopbackFrom
                           - idlePerSecond * (DateTimeOffset.Now - launched).TotalSeconds;
            var logs = Enumerable.Range(1, workers).ToDictionary(i => $"worker-{i}", i => cluster.LogOf($"worker-{i}"));
            job = new JobRecord(events, cluster.LogOf("coordinator"), logs, jobId, spec.InnerSteps);
            Report(job, launched, submitted, trained, local, version.WallSeconds);
            Console.WriteLine("  bytes on the loopback for the job (every link: CLI, coordinator, workers, devnet; " +
                              $"idle {ClusterBenchmarks.FormatBytes(idlePerSecond)}/s subtracted): " +
                              $"{ClusterBenchmarks.FormatBytes(loopback)}   (goal <= 25% of 443 MB: " +
                              $"{loopback / 443e6:P1})");
        }
        cluster.Dispose();
        Commitment(spec, dataDir, job!);
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0) return null;
        if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return args[i + 1];
    }

    private static IReadOnlyList<JournaledEvent> WaitForEnd(LocalCluster cluster, string jobId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var events = cluster.JobEvents(jobId);
            if (events.FirstOrDefault(e => e.Type is "JobCompleted" or "JobFailed" or "JobCancelled") is { } end)
            {
                if (end.Type != "JobCompleted")
                    throw new InvalidOperationException($"job {jobId} ended with {end}\n{cluster.Logs()}");
                return events;
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(30))
                throw new TimeoutException($"job {jobId} did not end in 30 min\n{cluster.Logs()}");
            Thread.Sleep(200);
        }
    }

    private static void Report(JobRecord job, DateTimeOffset launched, LocalProcesses.Result submitted,
        LocalProcesses.Result trained, JsonElement local, double cliStart)
    {
        var submittedAt = job.At("JobSubmitted");
        var completed = job.Events.Single(e => e.Type == "JobCompleted");
        var completedAt = At(completed);
        var rounds = job.Rounds();
        var first = rounds[0];
        Console.WriteLine("  submit -> first round running (this machine's clock):");
        Console.WriteLine("     `gensyn submit` launched -> JobSubmitted journaled       " +
                          $"{S(submittedAt - launched),7}" +
                          "   (the CLI's start-up, its existing wallet, escrow deposit; its process ran " +
                          $"{submitted.WallSeconds:F2} s)");
        Console.WriteLine($"     (a bare CLI process start-up, `gensyn --help`, takes {cliStart:F2} s)");
        Console.WriteLine($"     -> RoundStarted 0                                      {S(first.Start - launched),7}");
        Console.WriteLine("     -> first ShardAssigned                                 " +
                          $"{S(first.FirstAssigned - launched),7}");
        Console.WriteLine($"     -> first shard training on its worker (first round running) " +
                          $"{S(first.FirstTraining - launched),7}   (goal <= 3 s)");
        Console.WriteLine("     -> RoundCompleted 0                                    " +
                          $"{S(first.Completed - launched),7}");

        var cluster = (completedAt - launched).TotalSeconds;
        var trainWall = trained.WallSeconds;
        var trainInner = local.GetProperty("wallSeconds").GetDouble();
        var clusterDigest = completed.Data.GetProperty("finalDigest").GetString();
        var localDigest = local.GetProperty("finalDigest").GetString();
        Console.WriteLine("  job time against `gensyn train` of the same spec (one process, same machine, same run):");
        Console.WriteLine($"     cluster: `gensyn submit` launched -> JobCompleted {cluster,7:F2} s" +
                          $" (JobSubmitted -> JobCompleted {(completedAt - submittedAt).TotalSeconds:F2} s)," +
                          $" test accuracy {completed.Data.GetProperty("testAccuracy").GetDouble():P2}");
        Console.WriteLine($"     train  : process {trainWall,7:F2} s (its wallSeconds {trainInner:F2} s), " +
                          $"test accuracy {local.GetProperty("testAccuracy").GetDouble():P2}");
        Console.WriteLine($"     ratio cluster/train: {cluster / trainWall:F2}x against the process, " +
                          $"{cluster / trainInner:F2}x against its wallSeconds   (goal <= 2x); final digests " +
                          (clusterDigest == localDigest ? "EQUAL" : $"DIFFER ({clusterDigest} vs {localDigest})"));

        PrintRounds(rounds, completedAt);
        PrintOffPath(job, rounds);
    }

    private static void PrintRounds(IReadOnlyList<RoundRecord> rounds, DateTimeOffset completedAt)
    {
        Console.WriteLine("  per round, seconds: wall = RoundStarted -> next RoundStarted (the last: -> " +
                          "RoundCompleted); longest = the longest shard's training;");
        Console.WriteLine("     overhead = wall - longest (issue 21's measure); busiest = the critical worker's " +
                          "training (its shards run one after another); then the critical path by phase " +
                          "(they add up to wall)");
        Console.WriteLine($"     {"round",5} {"wall",6} {"longest",7} {"overhd",6} {"busiest",7} |" +
                          string.Concat(Phases.Select(p => $" {p,6}")));
        foreach (var r in rounds)
            Console.WriteLine($"     {r.Round,5} {r.Wall,6:F2} {r.LongestTrain,7:F2} {r.Overhead,6:F2} " +
                              $"{r.BusiestTrain,7:F2} |" + string.Concat(Phases.Select(p => $" {r.Phase(p),6:F2}")));
        Console.WriteLine($"     (then the final evaluation: RoundCompleted {rounds[^1].Round} -> JobCompleted " +
                          $"{(completedAt - rounds[^1].Completed).TotalSeconds:F2} s)");
        foreach (var (label, set) in new[] { ("all rounds", rounds), ("rounds 1.. (warm)", rounds.Skip(1).ToList()) })
        {
            if (set.Count == 0) continue;
            var overhead = Median(set.Select(r => r.Overhead));
            Console.WriteLine($"  median of {label}: wall {Median(set.Select(r => r.Wall)):F2} s, longest shard's " +
                              $"training {Median(set.Select(r => r.LongestTrain)):F2} s, overhead {overhead:F2} s " +
                              "(goal <= 0.5 s), busiest worker's training " +
                              $"{Median(set.Select(r => r.BusiestTrain)):F2} s");
            foreach (var p in Phases)
                Console.WriteLine($"     {p,-8} {Median(set.Select(r => r.Phase(p))),6:F2} s  {PhaseMeaning[p]}");
        }
    }

    /// <summary>What runs beside the critical path: checkpoint uploads during training and the settlement.</summary>
    private static void PrintOffPath(JobRecord job, IReadOnlyList<RoundRecord> rounds)
    {
        var checkpoints = rounds.SelectMany(r => r.Shards).SelectMany(s => s.CheckpointLags()).ToList();
        var late = rounds.SelectMany(r => r.Shards).Count(s => s.CheckpointAfterTraining);
        if (checkpoints.Count > 0)
            Console.WriteLine($"  checkpoint uploads (beside training): {checkpoints.Count}, from the step's " +
                              $"estimated time to ShardCheckpointSaved median {Median(checkpoints):F2} s, max " +
                              $"{checkpoints.Max():F2} s; {late} saved after their shard's training ended");
        var challenged = job.Events.Where(e => e.Type == "ShardVerified")
            .Select(e => (double)e.Data.GetProperty("steps").GetArrayLength()).ToList();
        Console.WriteLine($"  challenged steps per result: median {Median(challenged):F0}, range " +
                          $"{challenged.Min():F0}-{challenged.Max():F0} (a new key's ramp, " +
                          "gensyn.verification.new-key-samples, halving per 10 accepted results, down to the " +
                          "spec's k; plus the first and last steps)");
        var settlements = new List<(double Lag, bool OffPath)>();
        foreach (var posted in job.Events.Where(e => e.Type == "SettlementPosted"))
        {
            var order = posted.Data.GetProperty("order");
            if (!order.GetProperty("kind").ToString().Equals("payRound", StringComparison.OrdinalIgnoreCase)) continue;
            var round = rounds.FirstOrDefault(r => r.Round == order.GetProperty("round").GetInt32());
            if (round is null) continue;
            settlements.Add(((At(posted) - round.Completed).TotalSeconds, At(posted) > round.End));
        }
        if (settlements.Count > 0)
            Console.WriteLine("  settlement (round payouts on the devnet): RoundCompleted -> SettlementPosted " +
                              $"median {Median(settlements.Select(s => s.Lag)):F2} s, max " +
                              $"{settlements.Max(s => s.Lag):F2} s; {settlements.Count(s => s.OffPath)} of " +
                              $"{settlements.Count} posted after the next round " +
                              "had started (off the critical path)");
    }

    /// <summary>The commitment inside training: SHA-256 of the canonical state after every step, timed here.</summary>
    private static void Commitment(JobSpec spec, string dataDir, JobRecord job)
    {
        using var data = DatasetLoader.Load(spec, dataDir);
        using var session = new TrainingSession(spec, data);
        var state = new byte[session.StateBytes];
        new Random(1).NextBytes(state);
        for (var i = 0; i < 5; i++) Sha256Digest.Of(state);
        var samples = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var clock = Stopwatch.StartNew();
            Sha256Digest.Of(state);
            samples.Add(clock.Elapsed.TotalSeconds);
        }
        var training = spec.RequireTraining();
        var commits = (spec.InnerSteps + training.CommitEvery - 1) / training.CommitEvery + 1;
        var perShard = Median(samples) * commits;
        var train = Median(job.Rounds().SelectMany(r => r.Shards).Select(s => s.Train));
        Console.WriteLine($"  commitment (inside `train`): one SHA-256 of the {session.StateBytes / 1e6:F2} MB state " +
                          $"{Median(samples) * 1000:F2} ms (timed here, after the cluster stopped) x " +
                          $"{commits} committed states (c = {training.CommitEvery}) = {perShard:F2} s per shard, against a median shard training " +
                          $"of {train:F2} s " +
                          $"({perShard / train:P0}; it runs on the trainer's digest thread, beside the steps)");
    }

    private static void Require(LocalProcesses.Result result, string what, LocalCluster cluster)
    {
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"gensyn {what} exited with {result.ExitCode}\n{result.Stderr}\n{result.Stdout}\n{cluster.Logs()}");
    }

    private static DateTimeOffset At(JournaledEvent e) => e.Data.GetProperty("at").GetDateTimeOffset();

    private static string S(TimeSpan span) => $"{span.TotalSeconds:F2} s";

    private static double Median(IEnumerable<double> values) => ClusterBenchmarks.Median(values.ToList());
}

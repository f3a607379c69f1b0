using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

using Gensyn.Node.Local;
namespace Gensyn.Benchmarks;

/// <summary>
/// The cluster's figures, measured with real processes (a `gensyn node` coordinator and one `gensyn worker`
/// on loopback), side by side in one run:
/// 1. overhead: one job through the cluster on one worker vs `gensyn train` of the same spec;
/// 2. communication: coordinator-worker bytes per inner step at H = 100 vs H = 1.
/// The blob throughput figure is <see cref="BlobThroughputBenchmark"/>.
/// </summary>
public static partial class ClusterBenchmarks
{
    /// <summary>~30-40 s of `gensyn train` on the 2-core machine: the CNN example's model, 3 rounds x 2 shards x 80 steps.</summary>
    public const string OverheadYaml = """
        name: bench-overhead
        model: { kind: cnn, channels: [32, 64] }
        dataset: { name: mnist }
        training:
          rounds: 3
          shards: 2
          inner-steps: 80
          batch-size: 64
          seed: 42
          threads: 1
          checkpoint-every: 40
          inner-optimizer: { kind: adamw, lr: 0.001, weight-decay: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 1 }
        """;

    /// <summary>
    /// The mlp example's model on one shard; rounds x inner-steps is held constant across H. The outer step
    /// is the plain mean (lr 1, no momentum): a Nesterov outer step after every single inner step (H = 1)
    /// would multiply the step size and compare two different optimizers, not two communication rates.
    /// </summary>
    public static string CommunicationYaml(int h, int totalSteps, string outerLr = "1.0", string outerMomentum = "0.0") => $"""
        name: bench-comm-h{h}
        model: {"{"} kind: mlp, hidden: [256] {"}"}
        dataset: {"{"} name: mnist {"}"}
        training:
          rounds: {totalSteps / h}
          shards: 1
          inner-steps: {h}
          batch-size: 64
          seed: 42
          threads: 1
          checkpoint-every: 50
          inner-optimizer: {"{"} kind: adamw, lr: 0.001, weight-decay: 0.01 {"}"}
          outer-optimizer: {"{"} kind: nesterov, lr: {outerLr}, momentum: {outerMomentum} {"}"}
        verification: {"{"} mode: spot-check, samples: 1 {"}"}
        """;

    public static void Run(string root, string dataDir)
    {
        var executable = BenchCluster.FindExecutable(root);
        Console.WriteLine($"cluster (real processes: {executable}, {Environment.ProcessorCount} cores; other builds may share the machine):");
        var repeats = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_REPEATS"), out var r) && r > 0 ? r : 3;
        var commSteps = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_COMM_STEPS"), out var s) && s >= 100 ? s / 100 * 100 : 200;

        using var cluster = BenchCluster.Create(executable, dataDir);
        var startup = Stopwatch.StartNew();
        cluster.StartCoordinator();
        var worker = cluster.StartWorker("worker-1");
        cluster.WaitForWorkers(1);
        Console.WriteLine($"  coordinator + 1 worker up and registered in {startup.Elapsed.TotalSeconds:F1} s (not counted below)");

        Overhead(cluster, repeats);
        Communication(cluster, worker.Id, commSteps);
    }

    private static void Overhead(LocalCluster cluster, int repeats)
    {
        var spec = Path.Combine(cluster.Root, "bench-overhead.yaml");
        File.WriteAllText(spec, OverheadYaml);
        Console.WriteLine("  1. overhead: cnn [32, 64], 3 rounds x 2 shards x 80 steps, batch 64, 1 thread; cluster = 1 coordinator + 1 worker");
        var clusterWalls = new List<double>();
        var trainWalls = new List<double>();
        var trainInner = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var submitted = cluster.Run("cli", ["submit", spec, "--wait", "--json", "-c", cluster.Coordinators]);
            Require(submitted, "submit --wait", cluster);
            var job = submitted.Json();
            var server = (job.GetProperty("finishedAt").GetDateTimeOffset() - job.GetProperty("submittedAt").GetDateTimeOffset()).TotalSeconds;
            var trained = cluster.Run($"train-{i}", ["train", spec, "--json"]);
            Require(trained, "train", cluster);
            var local = trained.Json();
            clusterWalls.Add(submitted.WallSeconds);
            trainWalls.Add(trained.WallSeconds);
            trainInner.Add(local.GetProperty("wallSeconds").GetDouble());
            var clusterDigest = job.GetProperty("finalDigest").GetString();
            var localDigest = local.GetProperty("finalDigest").GetString();
            Console.WriteLine($"     run {i + 1}: cluster `submit --wait` {submitted.WallSeconds,6:F2} s (coordinator submitted->finished {server:F2} s, " +
                              $"accuracy {job.GetProperty("testAccuracy").GetDouble():P2}) | `train` process {trained.WallSeconds,6:F2} s " +
                              $"(its wallSeconds {local.GetProperty("wallSeconds").GetDouble():F2} s, accuracy {local.GetProperty("testAccuracy").GetDouble():P2})");
            Console.WriteLine($"            final digests {(clusterDigest == localDigest ? "EQUAL" : "DIFFER")}: cluster {clusterDigest}, train {localDigest}");
        }
        var ratio = Median(clusterWalls) / Median(trainWalls);
        Console.WriteLine($"     ratio cluster/train, process walls (both include one CLI start-up) : {ratio:F3}   (required <= 1.15, goal <= 1.05: {(ratio <= 1.05 ? "goal met" : ratio <= 1.15 ? "required met" : "NOT MET")})");
        Console.WriteLine($"     ratio cluster/train wallSeconds (train without its start-up)       : {Median(clusterWalls) / Median(trainInner):F3}");
    }

    private static void Communication(LocalCluster cluster, int workerPid, int totalSteps)
    {
        Console.WriteLine($"  2. communication: mlp [256], 1 shard, {totalSteps} inner steps in all (H = 100: {totalSteps / 100} rounds; H = 1: {totalSteps} rounds), batch 64");
        Console.WriteLine("     bytes: loopback interface (/proc/net/dev lo, IP+TCP headers included, idle rate subtracted) and the worker's own TCP sockets (ss: payload sent+received)");
        // Idle rate: heartbeats and the worker's re-registration every 3 s.
        var idleSeconds = 6.0;
        var (lo0, sock0) = (Loopback(), WorkerSockets(workerPid));
        Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
        var (lo1, sock1) = (Loopback(), WorkerSockets(workerPid));
        var idleLoRate = (lo1 - lo0) / idleSeconds;
        var idleSockRate = Delta(sock0, sock1) / idleSeconds;
        Console.WriteLine($"     idle: loopback {idleLoRate:F0} B/s, worker sockets {idleSockRate:F0} B/s");

        var results = new Dictionary<int, (double LoPerStep, double SockPerStep, double Accuracy, double Seconds)>();
        foreach (var h in new[] { 100, 1 })
        {
            var spec = Path.Combine(cluster.Root, $"bench-comm-h{h}.yaml");
            File.WriteAllText(spec, CommunicationYaml(h, totalSteps));
            var before = (Lo: Loopback(), Sock: WorkerSockets(workerPid));
            var clock = Stopwatch.StartNew();
            // No --wait: its status polls would cross loopback too. The coordinator's log says when the job ends.
            var submitted = cluster.Run("cli", ["submit", spec, "--json", "-c", cluster.Coordinators]);
            Require(submitted, "submit", cluster);
            var jobId = submitted.Json().GetProperty("jobId").GetString()!;
            var done = new Regex($@"Job\W*{Regex.Escape(jobId)}\W*(completed|failed|cancelled)");
            while (!done.IsMatch(cluster.LogOf("coordinator")))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(30)) throw new TimeoutException($"job {jobId} did not end\n{cluster.Logs()}");
                Thread.Sleep(100);
            }
            var seconds = clock.Elapsed.TotalSeconds;
            var after = (Lo: Loopback(), Sock: WorkerSockets(workerPid));
            var status = cluster.Run("cli", ["status", jobId, "--json", "-c", cluster.Coordinators]);
            Require(status, "status", cluster);
            var view = status.Json();
            if (view.GetProperty("state").GetString() != "completed") throw new InvalidOperationException($"job {jobId} ended {view.GetProperty("state")}\n{cluster.Logs()}");
            var accuracy = view.GetProperty("testAccuracy").GetDouble();
            var lo = after.Lo - before.Lo - idleLoRate * seconds;
            var sock = Delta(before.Sock, after.Sock) - idleSockRate * seconds;
            var reconnected = !before.Sock.Keys.ToHashSet().SetEquals(after.Sock.Keys);
            results[h] = (lo / totalSteps, sock / totalSteps, accuracy, seconds);
            Console.WriteLine($"     H = {h,3}: {FormatBytes(lo / totalSteps),10}/inner step on loopback, {FormatBytes(sock / totalSteps),10}/inner step on the worker's sockets " +
                              $"(totals {FormatBytes(lo)}, {FormatBytes(sock)}; {seconds:F1} s), test accuracy {accuracy:P2}" +
                              (reconnected ? "  [the worker's connections changed during the job: socket figure incomplete]" : ""));
        }
        var loRatio = results[1].LoPerStep / results[100].LoPerStep;
        var sockRatio = results[1].SockPerStep / results[100].SockPerStep;
        var gap = Math.Abs(results[1].Accuracy - results[100].Accuracy) * 100;
        Console.WriteLine($"     ratio H=1 / H=100 bytes per inner step: loopback {loRatio:F1}x, worker sockets {sockRatio:F1}x   (required >= 50x: {(Math.Min(loRatio, sockRatio) >= 50 ? "met" : "NOT MET")})");
        Console.WriteLine($"     accuracy gap |H=1 - H=100| = {gap:F2} points   (required <= 1: {(gap <= 1 ? "met" : "NOT MET")})");
    }

    /// <summary>Bytes received on the loopback interface (every loopback byte is both sent and received once).</summary>
    internal static long Loopback()
    {
        foreach (var line in File.ReadAllLines("/proc/net/dev"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length == 2 && parts[0].Trim() == "lo")
                return long.Parse(parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("no lo interface in /proc/net/dev");
    }

    /// <summary>Payload bytes (acked sent + received) of each established TCP socket the process holds, by local/peer address.</summary>
    private static Dictionary<string, long> WorkerSockets(int pid)
    {
        var start = new ProcessStartInfo("ss", "-tinpH state established") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n');
        process.WaitForExit();
        var sockets = new Dictionary<string, long>();
        string? key = null;
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            if (!char.IsWhiteSpace(line[0]))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                key = line.Contains($"pid={pid},") && fields.Length >= 4 ? fields[2] + ">" + fields[3] : null;
                continue;
            }
            if (key is null) continue;
            sockets[key] = Counter(line, "bytes_acked") + Counter(line, "bytes_received");
            key = null;
        }
        return sockets;
    }

    private static long Counter(string line, string name)
    {
        var m = Regex.Match(line, $@"\b{name}:(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key));

    private static void Require(LocalProcesses.Result result, string what, LocalCluster cluster)
    {
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"gensyn {what} exited with {result.ExitCode}\n{result.Stderr}\n{result.Stdout}\n{cluster.Logs()}");
    }

    public static string FormatBytes(double bytes) => Math.Abs(bytes) switch
    {
        >= 1e9 => $"{bytes / 1e9:F2} GB",
        >= 1e6 => $"{bytes / 1e6:F2} MB",
        >= 1e3 => $"{bytes / 1e3:F1} kB",
        _ => $"{bytes:F0} B",
    };

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

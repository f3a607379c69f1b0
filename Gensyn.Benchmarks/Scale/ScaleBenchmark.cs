using System.Diagnostics;
using System.Globalization;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using System.Text.Json;
using Gensyn.Node.Cli;
using Gensyn.Node.Local;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// The scale curves (issue 21): simulated providers (<see cref="SimulatedFleet"/>: real sessions through the edges,
/// a fake trainer answering in constant time) against one coordinator, then two (a two-node cluster, the providers
/// spread over both edges), running J jobs of R rounds × S shards of a tiny synthetic model. Verification goes to an
/// <see cref="AcceptingVerifier"/>, and the coordinators' new-key ramp is off
/// (<c>gensyn.verification.new-key-samples = 0</c>, <c>verification.samples: 1</c>): each result is still challenged
/// once and answered, but nothing is replayed. The coordinators are real <c>gensyn node</c> processes
/// (<see cref="LocalCluster"/>), measured from outside: CPU, peak RSS and threads; the providers and the verifier share
/// this process. Arguments: [--providers 100,300,1000] [--coordinators 1,2] [--shards 10000] [--jobs 10]
/// [--rounds 10] [--shard-ms 200] [--inner-steps 4].
/// </summary>
public static class ScaleBenchmark
{
    private sealed record Settings(int[] Providers, int[] Coordinators, int Shards, int Jobs, int Rounds, int ShardMs,
                                   int InnerSteps);

    private sealed record Coordinator(string Name, string Data, Process Process, ScaleCoordinator.Ready Ready)
    {
        public ProcessProbe Probe { get; } = new(Process.Id);
    }

    public static void Run(string root, string[] args)
    {
        var s = Parse(args);
        if (s.Shards % (s.Jobs * s.Rounds) != 0 || s.Shards / (s.Jobs * s.Rounds) is < 1 or > 1024)
            throw new ArgumentException($"--shards {s.Shards} must be jobs × rounds × (1..1024 shards per round)");
        ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount * 8), 64);
        Console.WriteLine($"scale: {s.Jobs} jobs × {s.Rounds} rounds × {s.Shards / (s.Jobs * s.Rounds)} shards = " +
                          $"{s.Shards:N0} shards, {s.InnerSteps} inner steps, fake trainer {s.ShardMs} ms per shard; " +
                          $"{Environment.ProcessorCount} cores");
        Console.WriteLine("coords providers  register_s  assign/s  lat_p50_ms  lat_p99_ms  wall_s  " +
                          "per-coordinator: assigned cpu_s rss_MB heap_MB threads fds | bench cpu_s rss_MB");
        foreach (var coordinators in s.Coordinators)
            foreach (var providers in s.Providers)
            {
                try
                {
                    RunOnce(root, s, coordinators, providers).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException
                                           or CoordinatorUnavailableException)
                {
                    Console.WriteLine($"{coordinators,6} {providers,9}  failed: {e.Message.Split('\n')[0]}");
                }
            }
    }

    private static async Task RunOnce(string root, Settings s, int coordinatorCount, int providers)
    {
        var dir = Directory.CreateTempSubdirectory("gensyn-scale-").FullName;
        var keep = Environment.GetEnvironmentVariable("GENSYN_BENCH_KEEP") is not null;
        using var processes = new LocalProcesses(typeof(ScaleBenchmark).Assembly.Location);
        try
        {
            var hocon = File.ReadAllText(Path.Combine(root, "cluster.hocon")) +
                        "\ngensyn.verification.new-key-samples = 0\n";
            var config = Path.Combine(dir, "scale.hocon");
            File.WriteAllText(config, hocon);
            var coordinators = new List<Coordinator>();
            for (var i = 1; i <= coordinatorCount; i++)
            {
                var name = $"coordinator-{i}";
                var data = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
                var seed = i == 1 ? null : coordinators[0].Ready;
                string[] join = seed is null ? [] : [seed.ClusterAddress, seed.CertificateFile];
                var process = processes.Start(["scale-coordinator", data, config, .. join],
                    Path.Combine(dir, name + ".log"));
                coordinators.Add(new Coordinator(name, data, process, await ReadyOf(data, process)));
            }
            var doors = coordinators.Select(c => $"127.0.0.1:{c.Ready.EdgePort}#{c.Ready.Fingerprint}").ToArray();
            await using var verifier = await AcceptingVerifier.JoinAsync(coordinators[0].Ready.ClusterAddress,
                coordinators[0].Ready.CertificateFile, hocon, Path.Combine(dir, "verifier"));
            await Measure(s, coordinators, doors, providers, dir);
        }
        finally
        {
            processes.Dispose();
            if (!keep) Directory.Delete(dir, recursive: true);
            else Console.WriteLine($"  (kept {dir})");
        }
    }

    private static async Task Measure(Settings s, List<Coordinator> coordinators, string[] doors, int providers,
                                      string dir)
    {
        var bench = new ProcessProbe(Environment.ProcessId);
        var registering = Stopwatch.StartNew();
        await using var fleet = SimulatedFleet.Start(doors, providers, TimeSpan.FromMilliseconds(s.ShardMs),
            s.InnerSteps, Path.Combine(dir, "providers"));
        await fleet.WhenRegistered(providers, TimeSpan.FromMinutes(5));
        var registerSeconds = registering.Elapsed.TotalSeconds;

        var cpuBefore = coordinators.Select(c => c.Probe.CpuSeconds()).ToArray();
        var benchCpu = bench.CpuSeconds();
        var verdicts = AcceptingVerifier.Verdicts;
        var clock = Stopwatch.StartNew();
        await using var client = CoordinatorClient.Connect(doors[0], dataDirectory: Path.Combine(dir, "client"));
        var jobs = new List<JobId>();
        var shardsPerRound = s.Shards / (s.Jobs * s.Rounds);
        for (var j = 0; j < s.Jobs; j++)
        {
            // A coordinator starved of CPU (a shared machine) may take long to answer while providers register.
            var answer = await client.Ask(new SubmitJob(Spec(j, s.Rounds, shardsPerRound, s.InnerSteps), dir),
                TimeSpan.FromMinutes(4));
            jobs.Add(answer is JobAccepted accepted ? accepted.JobId
                : throw new InvalidOperationException($"job {j} was not accepted: {answer}"));
        }
        await WaitForJobs(client, jobs, coordinators, bench, fleet.Counters, TimeSpan.FromMinutes(30));
        var wall = clock.Elapsed.TotalSeconds;
        var counters = fleet.Counters;
        var assignments = counters.PerDoor().Sum();
        var parts = coordinators.Select((c, i) =>
        {
            var stats = StatsOf(c.Data);
            var hosted = stats?.Jobs.Sum(job => counters.AssignedFor(job)) ?? -1;
            return $"{i + 1}: {hosted,6} {c.Probe.CpuSeconds() - cpuBefore[i],6:F1} " +
                   $"{c.Probe.PeakRssBytes / 1e6,6:F0} {(stats?.PeakHeapBytes ?? 0) / 1e6,6:F0} " +
                   $"{c.Probe.PeakThreads,4} {c.Probe.OpenFiles(),5}";
        }).ToArray();
        Console.WriteLine(
            $"{coordinators.Count,6} {providers,9}  {registerSeconds,10:F1}  {assignments / wall,8:F1}  " +
            $"{counters.LatencyMs(0.5),10:F0}  {counters.LatencyMs(0.99),10:F0}  {wall,6:F1}  " +
            $"{string.Join(" | ", parts)} | {bench.CpuSeconds() - benchCpu,6:F1} {bench.PeakRssBytes / 1e6,6:F0}");
        Console.WriteLine($"        assignments {assignments:N0} (per edge {string.Join("/", counters.PerDoor())}), " +
                          $"results {counters.FinishedCount:N0}, abandoned {counters.AbandonedCount}, " +
                          $"sessions lost {counters.LostCount}, verdicts {AcceptingVerifier.Verdicts - verdicts:N0}");
        if (counters.LostCount > 0) Console.WriteLine($"        sessions ended: {counters.LostReasons()}");
    }

    private static async Task<ScaleCoordinator.Ready> ReadyOf(string data, Process process)
    {
        var file = Path.Combine(data, "ready.json");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file))
        {
            if (process.HasExited) throw new InvalidOperationException($"a coordinator exited ({process.ExitCode})");
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"no coordinator ready in {data}");
            await Task.Delay(200);
        }
        return JsonSerializer.Deserialize<ScaleCoordinator.Ready>(File.ReadAllText(file))!;
    }

    private static ScaleCoordinator.Stats? StatsOf(string data)
    {
        var file = Path.Combine(data, "stats.json");
        return File.Exists(file) ? JsonSerializer.Deserialize<ScaleCoordinator.Stats>(File.ReadAllText(file)) : null;
    }

    private static async Task WaitForJobs(CoordinatorClient client, List<JobId> jobs, List<Coordinator> coordinators,
        ProcessProbe bench, ScaleCounters counters, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var pending = new HashSet<JobId>(jobs);
        while (pending.Count > 0)
        {
            foreach (var c in coordinators) c.Probe.Sample();
            bench.Sample();
            foreach (var job in pending.ToArray())
            {
                IGensynMessage answer;
                try
                {
                    answer = await client.Ask(new GetJobStatus(job), TimeSpan.FromMinutes(1));
                }
                catch (CoordinatorUnavailableException)
                {
                    // The coordinator is too busy to answer within the minute: ask again on the next pass.
                    Console.WriteLine(
                        $"        (a status call went unanswered for a minute at {clock.Elapsed.TotalSeconds:F0} s)");
                    break;
                }
                if (answer is not JobView view) continue;
                if (view.State == JobPhase.Completed) pending.Remove(job);
                else if (view.State is JobPhase.Failed or JobPhase.Cancelled)
                    throw new InvalidOperationException($"job {job} ended {view.State}: {view.Reason}");
            }
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{pending.Count} of {jobs.Count} jobs still running after " +
                                           $"{limit.TotalMinutes:0} min ({counters.FinishedCount:N0} results)");
            await Task.Delay(2000);
        }
    }

    private static string Spec(int j, int rounds, int shards, int innerSteps) => $$"""
        name: scale-{{j}}
        model: { kind: mlp, hidden: [8] }
        dataset: { name: synthetic, samples: 4096, features: 8, classes: 2 }
        training:
          rounds: {{rounds}}
          shards: {{shards}}
          inner-steps: {{innerSteps}}
          batch-size: 8
          seed: {{j + 1}}
          checkpoint-every: {{innerSteps}}
        verification: { mode: spot-check, samples: 1 }
        """;

    private static Settings Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int[] Ints(string name, int[] fallback) => Value(name)?.Split(',')
            .Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() ?? fallback;
        int Int(string name, int fallback) => Ints(name, [fallback])[0];
        return new Settings(Ints("--providers", [100, 300, 1000]), Ints("--coordinators", [1, 2]),
            Int("--shards", 10_000), Int("--jobs", 10), Int("--rounds", 10), Int("--shard-ms", 200),
            Int("--inner-steps", 4));
    }
}

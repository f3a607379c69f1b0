using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Gensyn.Node.Local;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;

namespace Gensyn.Benchmarks;

/// <summary>
/// How fast a shard survives its worker's death, with real processes (a `gensyn node` coordinator and two
/// `gensyn worker`s on loopback, default settings, the workers connected through the coordinator's edge): a one-shard MNIST job keeps one worker busy and the other
/// idle; the busy worker is killed (SIGKILL) mid-shard, the shard is followed (job status polled in-process
/// every 50 ms) until it runs again on the other worker, then the killed worker is started again with the same
/// id, so that there are always two. Repeated <c>GENSYN_BENCH_KILLS</c> (10) times.
/// </summary>
public static partial class FailureBenchmarks
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// One shard per round, so the second worker is idle at each kill and the shard's new home is "elsewhere"
    /// (with every worker busy the shard would wait for a worker to finish, not for the failure to be noticed).
    /// </summary>
    public static string WorkerDeathYaml(int rounds, int innerSteps) => $"""
        name: bench-failures
        model: {"{"} kind: mlp, hidden: [256] {"}"}
        dataset: {"{"} name: mnist {"}"}
        training:
          rounds: {rounds}
          shards: 1
          inner-steps: {innerSteps}
          batch-size: 128
          seed: 5
          threads: 1
          checkpoint-every: 50
          inner-optimizer: {"{"} kind: adamw, lr: 0.001 {"}"}
          outer-optimizer: {"{"} kind: nesterov, lr: 0.7, momentum: 0.9 {"}"}
        verification: {"{"} mode: spot-check, samples: 1 {"}"}
        """;

    /// <summary>The two worker processes; one quarantined by the coordinator (a false alarm) is useless until restarted.</summary>
    private sealed class Workers(LocalCluster cluster)
    {
        private const string Quarantined = "has quarantined this system";
        private readonly Dictionary<string, (Process Process, int LogStart)> _workers = [];

        public List<string> FalseAlarmRestarts { get; } = [];

        public Process this[string name] => _workers[name].Process;

        public void Start(string name) => _workers[name] = (cluster.StartWorker(name), cluster.LogOf(name).Length);

        /// <summary>SIGKILLs a worker on purpose: it stays down (not healed) until <see cref="Start"/>.</summary>
        public void Kill(string name)
        {
            var process = _workers[name].Process;
            _workers.Remove(name);
            process.Kill(entireProcessTree: true);
        }

        /// <summary>Restarts a worker whose process exited or that the coordinator quarantined; true when it did.</summary>
        public bool Heal(Stopwatch since)
        {
            var healed = false;
            foreach (var (name, (process, start)) in _workers.ToList())
            {
                var log = cluster.LogOf(name);
                var quarantined = log.Length > start && log[start..].Contains(Quarantined, StringComparison.Ordinal);
                if (!process.HasExited && !quarantined) continue;
                FalseAlarmRestarts.Add($"{name} at {since.Elapsed.TotalSeconds:F0} s ({(quarantined ? "quarantined by the coordinator while alive" : $"exited with {process.ExitCode}")})");
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Start(name);
                healed = true;
            }
            return healed;
        }
    }

    private sealed record Kill(
        int Round, int Shard, string Victim, string Survivor, int OldEpoch, int NewEpoch, int StepAtKill, int ResumeStep,
        double Detected, double AssignedJournal, double ReassignedSeen, double ProgressSeen, string Reason, bool Disturbed);

    public static void WorkerDeath(string root, string dataDir) => WorkerDeathAsync(root, dataDir).GetAwaiter().GetResult();

    private static async Task WorkerDeathAsync(string root, string dataDir)
    {
        var executable = BenchCluster.FindExecutable(root);
        var kills = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_KILLS"), out var k) && k > 0 ? k : 10;
        var innerSteps = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_FAILURE_STEPS"), out var s) && s >= 400 ? s : 1000;
        var rounds = 3 * kills;
        Console.WriteLine($"failures (real processes: {executable}, {Environment.ProcessorCount} cores; other builds and benchmarks may share the machine):");
        PrintGoverningSettings(root);

        using var cluster = BenchCluster.Create(executable, dataDir);
        var startup = Stopwatch.StartNew();
        cluster.StartCoordinator();
        var processes = new Workers(cluster);
        processes.Start("worker-1");
        processes.Start("worker-2");
        cluster.WaitForWorkers(2);
        var run = Stopwatch.StartNew();
        Console.WriteLine($"  coordinator + 2 workers up and registered in {startup.Elapsed.TotalSeconds:F1} s (not counted below)");
        Console.WriteLine($"  1. worker death -> its shard running again on the other worker: mlp [256], batch 128, {rounds} rounds x 1 shard x {innerSteps} steps, " +
                          $"checkpoint every 50 steps; {kills} SIGKILLs, each mid-shard (step >= 120), polled every {PollEvery.TotalMilliseconds:F0} ms");

        // The coordinator runs its devnet, so the job goes in through `gensyn submit` (which deposits its budget in escrow first); the
        // in-process client then polls through the edge, signing as the same wallet (the job's payer).
        var spec = Path.Combine(cluster.Root, "bench-failures.yaml");
        File.WriteAllText(spec, WorkerDeathYaml(rounds, innerSteps));
        var submitted = cluster.Run("cli", ["submit", spec, "--json", "-c", cluster.Coordinators], TimeSpan.FromMinutes(2));
        if (submitted.ExitCode != 0) throw new InvalidOperationException($"the job was not accepted: {submitted.Stderr}\n{submitted.Stdout}\n{cluster.Logs()}");
        var jobId = submitted.Json().GetProperty("jobId").GetString()!;
        await using var client = CoordinatorClient.Connect(cluster.Coordinators, dataDirectory: cluster.DataDir("cli"));

        var log = new List<JobLogEntry>();
        var samples = new List<Kill>();
        (int Round, int Epoch, int ResumeStep)? lastResume = null;
        while (samples.Count < kills)
        {
            var (view, victim) = await WaitForVictim(client, cluster, processes, run, jobId, innerSteps, lastResume);
            var victimId = victim.WorkerId!;
            var survivor = victimId == "worker-1" ? "worker-2" : "worker-1";

            var victimProcess = processes[victimId];
            processes.Kill(victimId);
            var killedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            victimProcess.WaitForExit();

            TimeSpan? reassigned = null, progressed = null;
            var disturbed = false;
            var healClock = Stopwatch.StartNew();
            ShardView? now = null;
            var resumeStep = -1;
            while (progressed is null)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(3))
                    throw new TimeoutException($"round {view.Round} shard {victim.Shard} did not run again within 3 minutes of killing {victimId}\n{cluster.Logs()}");
                if (healClock.Elapsed > TimeSpan.FromSeconds(1))
                {
                    healClock.Restart();
                    if (processes.Heal(run)) disturbed = true;
                }
                if (await client.Ask(new GetJobStatus((JobId)jobId), TimeSpan.FromSeconds(30)) is JobView v && v.Round == view.Round && v.Shards.Count > victim.Shard)
                {
                    var elapsed = clock.Elapsed;
                    now = v.Shards[victim.Shard];
                    // (The dead worker itself may be granted the shard again for a moment: the scheduler frees it when the shard
                    // lets go, before its own DeathWatch fires. That epoch dies at once; wait for the survivor's.)
                    if (now.Epoch > victim.Epoch && now.State == "running" && now.WorkerId == survivor)
                    {
                        reassigned ??= elapsed;
                        if (resumeStep < 0)
                        {
                            await FetchLog(client, jobId, log);
                            resumeStep = ResumeStep(log, view.Round, victim.Shard);
                        }
                        if (now.Step > resumeStep) progressed = elapsed;
                    }
                }
                if (progressed is null) await Task.Delay(PollEvery);
            }

            await FetchLog(client, jobId, log);
            var (releasedAt, reason) = Released(log, view.Round, victim.Shard, victimId, victim.Epoch);
            var assignedAt = Assigned(log, view.Round, victim.Shard, now!.WorkerId!, now.Epoch);
            var deadRegrants = log.Count(e => Regex.Match(e.Text, $@"^round {view.Round} shard {victim.Shard} assigned to worker {Regex.Escape(victimId)} \(epoch (\d+)\)$") is { Success: true } m
                                                && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > victim.Epoch);
            var sample = new Kill(view.Round, victim.Shard, victimId, now.WorkerId!, victim.Epoch, now.Epoch, victim.Step, resumeStep,
                (releasedAt - killedAt).TotalSeconds, (assignedAt - killedAt).TotalSeconds, reassigned!.Value.TotalSeconds, progressed.Value.TotalSeconds, reason, disturbed);
            samples.Add(sample);
            lastResume = (view.Round, now.Epoch, resumeStep);
            Console.WriteLine($"     kill {samples.Count,2}: round {sample.Round,2} shard {sample.Shard} {victimId} at step {sample.StepAtKill,4} (epoch {sample.OldEpoch}) -> {survivor} " +
                              $"(epoch {sample.NewEpoch}, resumes at step {resumeStep}): released {sample.Detected,5:F2} s, assignment journaled {sample.AssignedJournal,5:F2} s, " +
                              $"seen running {sample.ReassignedSeen,5:F2} s, step past {resumeStep} seen {sample.ProgressSeen,5:F2} s  [{reason}]" +
                              (deadRegrants > 0 ? $"  (first re-granted to the dead {victimId} {deadRegrants}x)" : "") +
                              (disturbed ? "  DISTURBED by a false alarm (not counted)" : ""));

            // The same identity comes back, so the next kill again finds an idle worker to move to.
            var registrations = Regex.Matches(cluster.LogOf(victimId), "registered with the coordinators").Count;
            processes.Start(victimId);
            await WaitForRegistration(client, cluster, victimId, registrations, processes[victimId]);
        }

        await client.Ask(new CancelJob((JobId)jobId, "benchmark done"), TimeSpan.FromSeconds(30));
        await FetchLog(client, jobId, log);
        var ours = samples.SelectMany(x => Enumerable.Range(x.OldEpoch, x.NewEpoch - x.OldEpoch)
            .Select(epoch => $"round {x.Round} shard {x.Shard} lost worker {x.Victim} (epoch {epoch}): ")).ToList();
        var unexpected = log.Where(e => e.Text.Contains(" lost worker ", StringComparison.Ordinal) && !ours.Any(o => e.Text.StartsWith(o, StringComparison.Ordinal))).ToList();
        Console.WriteLine($"     releases the benchmark did not cause (false alarms or their aftermath): {unexpected.Count}" +
                          (processes.FalseAlarmRestarts.Count > 0 ? $"; workers restarted because of them: {string.Join(", ", processes.FalseAlarmRestarts)}" : ""));
        foreach (var e in unexpected) Console.WriteLine($"        {e.At:HH:mm:ss.fff} {e.Text}");
        var counted = samples.Where(x => !x.Disturbed).ToList();
        if (counted.Count == 0) throw new InvalidOperationException("every kill was disturbed by a false alarm");
        if (counted.Count < samples.Count) Console.WriteLine($"     figures below: the {counted.Count} undisturbed kills of {samples.Count}");
        samples = counted;
        Summarize("worker killed -> coordinator released the shard (journal time)", samples.Select(x => x.Detected).ToList());
        Summarize("worker killed -> new assignment journaled (journal time)     ", samples.Select(x => x.AssignedJournal).ToList());
        Summarize("worker killed -> shard seen running on the other worker     ", samples.Select(x => x.ReassignedSeen).ToList(), goal: 5.0);
        Summarize("worker killed -> first step past the resume checkpoint seen ", samples.Select(x => x.ProgressSeen).ToList());
        Console.WriteLine("     (\"at step\" is the last step the victim reported; it reports every 1/20 of the shard or each second, so it trained up to ~50 steps past it. " +
                          "The survivor is a freshly started process each time: its first step includes fetching the checkpoint, loading MNIST and building its session.)");
    }

    private static void PrintGoverningSettings(string root)
    {
        var hocon = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(root, "cluster.hocon")));
        string Get(string path, string akkaDefault) => hocon.HasPath(path) ? hocon.GetString(path) : $"{akkaDefault} (Akka default)";
        Console.WriteLine("  governed by the edge: a worker holds one gRPC Session stream (TLS, HTTP/2) to the coordinator's edge; when it ends (a killed process's socket " +
                          "is closed by the kernel at once; a vanished host is noticed by HTTP/2 keepalive pings, every 1 s with a 2 s timeout, both ends) the edge stops " +
                          "the worker's WorkerSession actor, and the shard and the registry, which watch it locally, release the shard");
        Console.WriteLine($"               a worker alive but silent: gensyn.shard-stall-timeout {Get("gensyn.shard-stall-timeout", "60s")} " +
                          "(GENSYN_SHARD_STALL_SECONDS overrides it); a killed process is noticed long before that");
    }

    /// <summary>Waits for the shard to be running mid-shard on a worker, past its resume point, far enough from its end.</summary>
    private static async Task<(JobView View, ShardView Shard)> WaitForVictim(CoordinatorClient client, LocalCluster cluster, Workers workers, Stopwatch run,
        string jobId, int innerSteps, (int Round, int Epoch, int ResumeStep)? lastResume)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            workers.Heal(run);
            // Both workers registered, one busy with the shard and the other idle: a kill then moves the shard at once.
            if (await client.Ask(new ListWorkers(), TimeSpan.FromSeconds(30)) is not WorkerList { Workers.Count: 2 } list || list.Workers.Count(w => w.State == "idle") != 1)
            {
                await Task.Delay(PollEvery);
                continue;
            }
            if (await client.Ask(new GetJobStatus((JobId)jobId), TimeSpan.FromSeconds(30)) is JobView view)
            {
                if (view.State is not (JobPhase.Running or JobPhase.Queued))
                    throw new InvalidOperationException($"job {jobId} ended {view.State} before all kills: {view.Reason}\n{cluster.Logs()}");
                var minStep = lastResume is { } r && r.Round == view.Round ? Math.Max(120, r.ResumeStep + 60) : 120;
                if (view.Shards.FirstOrDefault(x => x.State == "running" && x.WorkerId is not null && x.Step >= minStep && x.Step <= innerSteps - 200) is { } shard)
                    return (view, shard);
            }
            await Task.Delay(PollEvery);
        }
        throw new TimeoutException($"no shard of {jobId} got mid-shard within 5 minutes\n{cluster.Logs()}");
    }

    private static async Task WaitForRegistration(CoordinatorClient client, LocalCluster cluster, string workerId, int registrationsBefore, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (process.HasExited) throw new InvalidOperationException($"restarted {workerId} exited with {process.ExitCode}\n{cluster.Logs()}");
            if (Regex.Matches(cluster.LogOf(workerId), "registered with the coordinators").Count > registrationsBefore
                && await client.Ask(new ListWorkers(), TimeSpan.FromSeconds(30)) is WorkerList list
                && list.Workers.Any(w => w.WorkerId == workerId && w.State == "idle"))
                return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"restarted {workerId} did not register within 2 minutes\n{cluster.Logs()}");
    }

    private static async Task FetchLog(CoordinatorClient client, string jobId, List<JobLogEntry> log)
    {
        while (await client.Ask(new GetJobLog((JobId)jobId, log.Count), TimeSpan.FromSeconds(30)) is JobLog { Entries.Count: > 0 } page)
            log.AddRange(page.Entries);
    }

    /// <summary>The round's latest journaled checkpoint of the shard (as JobState keeps it): where the new worker resumes.</summary>
    private static int ResumeStep(List<JobLogEntry> log, int round, int shard)
    {
        var checkpoint = new Regex($@"^round {round} shard {shard} checkpoint at step (\d+) from worker ");
        var step = 0;
        foreach (var entry in log)
        {
            if (checkpoint.Match(entry.Text) is { Success: true } m) step = Math.Max(step, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            else if (entry.Text.StartsWith($"round {round} shard {shard} checkpoint ", StringComparison.Ordinal) && entry.Text.Contains(" discarded: ")) step = 0;
        }
        return step;
    }

    private static (DateTimeOffset At, string Reason) Released(List<JobLogEntry> log, int round, int shard, string victim, int epoch)
    {
        var prefix = $"round {round} shard {shard} lost worker {victim} (epoch {epoch}): ";
        var entry = log.LastOrDefault(e => e.Text.StartsWith(prefix, StringComparison.Ordinal))
                    ?? throw new InvalidOperationException($"no '{prefix}' in the job's log");
        return (entry.At, entry.Text[prefix.Length..]);
    }

    private static DateTimeOffset Assigned(List<JobLogEntry> log, int round, int shard, string worker, int epoch)
    {
        var text = $"round {round} shard {shard} assigned to worker {worker} (epoch {epoch})";
        return (log.LastOrDefault(e => e.Text == text) ?? throw new InvalidOperationException($"no '{text}' in the job's log")).At;
    }

    private static void Summarize(string what, IReadOnlyList<double> seconds, double? goal = null)
    {
        var line = $"     {what}: median {Median(seconds):F2} s, min {seconds.Min():F2} s, max {seconds.Max():F2} s";
        if (goal is { } g) line += $"   (goal < {g:F0} s: {(Median(seconds) < g ? "met" : "NOT MET")})";
        Console.WriteLine(line);
    }

    private static double Median(IReadOnlyList<double> values) => ClusterBenchmarks.Median(values);
}

using System.Diagnostics;
using Akka.Configuration;
using Gensyn.Node.Local;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cluster;

namespace Gensyn.Benchmarks;

/// <summary>
/// How fast a shard survives its worker's death, with real processes (a `gensyn node` coordinator and two
/// `gensyn worker`s on loopback, default settings, the workers connected through the coordinator's edge): a one-shard MNIST job keeps one worker busy and the other
/// idle; the busy worker is killed (SIGKILL) mid-shard, the shard is followed (job status polled in-process
/// every 50 ms) until it runs again on the other worker, then the killed worker is started again with the same
/// id, so that there are always two. Repeated <c>GENSYN_BENCH_KILLS</c> (10) times. The times and steps come from the
/// job's journaled events (read from the coordinator's journal), never from log text.
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

    /// <summary>The two worker processes; one that exited on its own is restarted (a disturbance).</summary>
    private sealed class Workers(LocalCluster cluster)
    {
        private readonly Dictionary<string, Process> _workers = [];

        public List<string> FalseAlarmRestarts { get; } = [];

        public Process this[string name] => _workers[name];

        public void Start(string name) => _workers[name] = cluster.StartWorker(name);

        /// <summary>SIGKILLs a worker on purpose: it stays down (not healed) until <see cref="Start"/>.</summary>
        public void Kill(string name)
        {
            var process = _workers[name];
            _workers.Remove(name);
            process.Kill(entireProcessTree: true);
        }

        /// <summary>Restarts a worker whose process exited; true when it did.</summary>
        public bool Heal(Stopwatch since)
        {
            var healed = false;
            foreach (var (name, process) in _workers.ToList())
            {
                if (!process.HasExited) continue;
                FalseAlarmRestarts.Add($"{name} at {since.Elapsed.TotalSeconds:F0} s (exited with {process.ExitCode})");
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

        IReadOnlyList<JournaledEvent> Events() => cluster.JobEvents(jobId);
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
                        if (resumeStep < 0) resumeStep = ResumeStep(Events(), view.Round, victim.Shard);
                        if (now.Step > resumeStep) progressed = elapsed;
                    }
                }
                if (progressed is null) await Task.Delay(PollEvery);
            }

            var events = Events();
            var (releasedAt, reason) = Released(events, view.Round, victim.Shard, victimId, victim.Epoch);
            var assignedAt = Assigned(events, view.Round, victim.Shard, now!.WorkerId!, now.Epoch);
            var deadRegrants = Of(events, "ShardAssigned", view.Round, victim.Shard)
                .Count(e => e.WorkerId == victimId && e.Int("epoch") > victim.Epoch);
            var sample = new Kill(view.Round, victim.Shard, victimId, now.WorkerId!, victim.Epoch, now.Epoch, victim.Step, resumeStep,
                (releasedAt - killedAt).TotalSeconds, (assignedAt - killedAt).TotalSeconds, reassigned!.Value.TotalSeconds, progressed.Value.TotalSeconds, reason, disturbed);
            samples.Add(sample);
            lastResume = (view.Round, now.Epoch, resumeStep);
            Console.WriteLine($"     kill {samples.Count,2}: round {sample.Round,2} shard {sample.Shard} {victimId} at step {sample.StepAtKill,4} (epoch {sample.OldEpoch}) -> {survivor} " +
                              $"(epoch {sample.NewEpoch}, resumes at step {resumeStep}): released {sample.Detected,5:F2} s, assignment journaled {sample.AssignedJournal,5:F2} s, " +
                              $"seen running {sample.ReassignedSeen,5:F2} s, step past {resumeStep} seen {sample.ProgressSeen,5:F2} s  [{reason}]" +
                              (deadRegrants > 0 ? $"  (first re-granted to the dead {victimId} {deadRegrants}x)" : "") +
                              (disturbed ? "  DISTURBED by a false alarm (not counted)" : ""));

            // The same identity comes back, so the next kill again finds an idle worker to move to: once the killed
            // process has left the registry, the identity listed again is the new process's.
            await WaitForRegistry(client, cluster, victimId, listed: false, null);
            processes.Start(victimId);
            await WaitForRegistry(client, cluster, victimId, listed: true, processes[victimId]);
        }

        await client.Ask(new CancelJob((JobId)jobId, "benchmark done"), TimeSpan.FromSeconds(30));
        var ours = samples.SelectMany(x => Enumerable.Range(x.OldEpoch, x.NewEpoch - x.OldEpoch)
            .Select(epoch => (x.Round, x.Shard, x.Victim, epoch))).ToHashSet();
        var unexpected = Events().OfKind("ShardReleased")
            .Where(e => !ours.Contains((e.Int("round"), e.Int("shard"), e.WorkerId!, e.Int("epoch")))).ToList();
        Console.WriteLine($"     releases the benchmark did not cause (false alarms or their aftermath): {unexpected.Count}" +
                          (processes.FalseAlarmRestarts.Count > 0 ? $"; workers restarted because of them: {string.Join(", ", processes.FalseAlarmRestarts)}" : ""));
        foreach (var e in unexpected)
            Console.WriteLine($"        {At(e):HH:mm:ss.fff} round {e.Int("round")} shard {e.Int("shard")} " +
                              $"lost worker {e.WorkerId} (epoch {e.Int("epoch")}): {e.Text("reason")}");
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

    /// <summary>
    /// Waits until <paramref name="workerId"/> is listed idle by the registry (<paramref name="listed"/>) or is gone.
    /// </summary>
    private static async Task WaitForRegistry(
        CoordinatorClient client, LocalCluster cluster, string workerId, bool listed, Process? process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (process is { HasExited: true })
                throw new InvalidOperationException($"{workerId} exited with {process.ExitCode}\n{cluster.Logs()}");
            if (await client.Ask(new ListWorkers(), TimeSpan.FromSeconds(30)) is WorkerList list
                && list.Workers.Any(w => w.WorkerId == workerId && (w.State == "idle" || !listed)) == listed)
                return;
            await Task.Delay(200);
        }
        var what = listed ? "register again" : "leave the registry";
        throw new TimeoutException($"{workerId} did not {what} within 2 minutes\n{cluster.Logs()}");
    }

    private static DateTimeOffset At(JournaledEvent e) => e.Data.GetProperty("at").GetDateTimeOffset();

    private static IEnumerable<JournaledEvent> Of(
        IEnumerable<JournaledEvent> events, string type, int round, int shard) =>
        events.OfKind(type).Where(e => e.Int("round") == round && e.Int("shard") == shard);

    /// <summary>The round's latest journaled checkpoint of the shard (as JobState keeps it): where the new worker resumes.</summary>
    private static int ResumeStep(IEnumerable<JournaledEvent> events, int round, int shard)
    {
        var step = 0;
        var checkpoints = events.Where(e => e.Type is "ShardCheckpointSaved" or "ShardCheckpointDiscarded");
        foreach (var e in checkpoints.Where(e => e.Int("round") == round && e.Int("shard") == shard))
        {
            if (e.Type == "ShardCheckpointSaved") step = Math.Max(step, e.Int("localStep"));
            else if (e.Type == "ShardCheckpointDiscarded") step = 0;
        }
        return step;
    }

    private static (DateTimeOffset At, string Reason) Released(
        IEnumerable<JournaledEvent> events, int round, int shard, string victim, int epoch)
    {
        var released = Of(events, "ShardReleased", round, shard)
                           .LastOrDefault(e => e.WorkerId == victim && e.Int("epoch") == epoch)
                       ?? throw new InvalidOperationException(
                           $"no release of round {round} shard {shard} by {victim} (epoch {epoch}) in the journal");
        return (At(released), released.Text("reason"));
    }

    private static DateTimeOffset Assigned(
        IEnumerable<JournaledEvent> events, int round, int shard, string worker, int epoch) =>
        At(Of(events, "ShardAssigned", round, shard).LastOrDefault(e => e.WorkerId == worker && e.Int("epoch") == epoch)
           ?? throw new InvalidOperationException(
               $"no assignment of round {round} shard {shard} to {worker} (epoch {epoch}) in the journal"));

    private static void Summarize(string what, IReadOnlyList<double> seconds, double? goal = null)
    {
        var line = $"     {what}: median {Median(seconds):F2} s, min {seconds.Min():F2} s, max {seconds.Max():F2} s";
        if (goal is { } g) line += $"   (goal < {g:F0} s: {(Median(seconds) < g ? "met" : "NOT MET")})";
        Console.WriteLine(line);
    }

    private static double Median(IReadOnlyList<double> values) => ClusterBenchmarks.Median(values);
}

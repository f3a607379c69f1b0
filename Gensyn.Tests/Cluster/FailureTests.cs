using System.Diagnostics;
using System.Text.Json;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Cluster;

/// <summary>Machines vanish: kill -9 of workers and coordinators, stalled workers, corrupt checkpoints. Real processes.</summary>
[Collection("cluster")]
public class FailureTests
{
    /// <summary>MNIST shards of a few seconds each (400 steps of 512 examples), checkpointed every 50 steps, so a kill
    /// lands mid-shard.</summary>
    private static string Yaml(int rounds = 2, int shards = 2) => $"""
        name: mnist-failures
        model: {"{"} kind: mlp, hidden: [256] {"}"}
        dataset: {"{"} name: mnist {"}"}
        training:
          rounds: {rounds}
          shards: {shards}
          inner-steps: 400
          batch-size: 512
          seed: 5
          threads: 1
          checkpoint-every: 50
          inner-optimizer: {"{"} kind: adamw, lr: 0.001 {"}"}
          outer-optimizer: {"{"} kind: nesterov, lr: 0.7, momentum: 0.9 {"}"}
        verification: {"{"} mode: spot-check, samples: 4 {"}"}
        """;

    private static string ReferenceDigest(string yaml, string directory) =>
        LocalJobRunner.Run(JobSpecParser.Parse(yaml, directory), Cli.GensynProcess.DataDirectory).FinalDigest.ToString();

    /// <summary>
    /// Polls the job until some shard's worker has passed <paramref name="step"/>; returns that shard. With
    /// <paramref name="checkpointed"/>, only once the coordinator has journaled a checkpoint of that very attempt (its
    /// epoch), so that a kill then has something to resume from.
    /// </summary>
    private static async Task<ShardView> RunningShardPast(LocalCluster cluster, string jobId, int step,
                                                          bool checkpointed = false)
    {
        await using var client = cluster.Client();
        return await cluster.AwaitConditionAsync(async () =>
        {
            if (await client.Ask(new GetJobStatus((JobId)jobId)) is not JobView view) return null;
            Assert.NotEqual(JobPhase.Completed, view.State);
            var running = view.Shards.Where(s => s.State == "running" && s.Step >= step && s.Step < s.InnerSteps - 50)
                .ToList();
            if (!checkpointed || running.Count == 0) return running.FirstOrDefault();
            var saved = cluster.JobEvents(jobId).OfKind("ShardCheckpointSaved").ToList();
            return running.FirstOrDefault(s => saved.Any(e =>
                e.Int("round") == view.Round && e.Int("shard") == s.Shard && e.Int("epoch") == s.Epoch));
        }, TimeSpan.FromMinutes(3),
            $"a shard of {jobId} to get past step {step}{(checkpointed ? " with a checkpoint journaled" : "")}");
    }

    private static JsonElement Finish(LocalCluster cluster, string jobId)
    {
        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.True(watched.ExitCode == 0, watched.Stderr + watched.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(watched.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        return status;
    }

    /// <summary>Exactly one accepted result per shard per round, and one aggregation per round, in the job's history.</summary>
    private static void AssertHistoryIsClean(IReadOnlyList<JournaledEvent> events, int rounds, int shards)
    {
        for (var r = 0; r < rounds; r++)
        {
            var round = r;
            Assert.True(events.OfKind("RoundCompleted").Count(e => e.Int("round") == round) == 1,
                $"round {round} was not aggregated exactly once\n{events.Describe()}");
            for (var s = 0; s < shards; s++)
            {
                var shard = s;
                Assert.True(events.OfKind("ShardCompleted")
                        .Count(e => e.Int("round") == round && e.Int("shard") == shard) == 1,
                    $"round {round} shard {shard} was not completed exactly once\n{events.Describe()}");
            }
        }
    }

    [Fact]
    public async Task Killing_a_worker_mid_shard_resumes_its_shard_elsewhere_from_the_last_checkpoint_bit_identical()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var yaml = Yaml();
        var jobId = cluster.Submit(yaml);
        var victim = await RunningShardPast(cluster, jobId, 120, checkpointed: true);
        cluster.Kill(cluster.WorkerProcess(victim.WorkerId!));

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        // The journal: the coordinator released the victim's shard, and the survivor's first checkpoint of it lies
        // past the victim's last one: it resumed from that checkpoint (from the round's start it would save step 50).
        var events = cluster.JobEvents(jobId);
        var lost = events.OfKind("ShardReleased").FirstOrDefault(e => e.WorkerId == victim.WorkerId);
        Assert.True(lost is not null, $"no ShardReleased of {victim.WorkerId}\n{events.Describe()}");
        var survivor = victim.WorkerId == "worker-1" ? "worker-2" : "worker-1";
        var saved = events.OfKind("ShardCheckpointSaved")
            .Where(e => e.Int("round") == lost.Int("round") && e.Int("shard") == lost.Int("shard")).ToList();
        // Each checkpoint was signed by its maker, and the journal keeps the key and signature as evidence.
        Assert.All(saved, e => Assert.Matches("^0x[0-9a-fA-F]{40}$", e.Text("maker")));
        Assert.All(saved, e => Assert.Matches("^0x[0-9a-f]{130}$", e.Text("signature")));
        var victimsLast = saved.Where(e => e.Int("epoch") == lost.Int("epoch")).Max(e => e.Int("localStep"));
        var survivorsFirst = saved.First(e => e.Int("epoch") > lost.Int("epoch") && e.WorkerId == survivor);
        Assert.True(survivorsFirst.Int("localStep") > victimsLast,
            $"{survivor} saved step {survivorsFirst.Int("localStep")} first, not past the checkpoint at step " +
            $"{victimsLast}\n{events.Describe()}");
        // The steps before the resume were the victim's: the verifier replayed them to its checkpoint.
        var verdicts = events.OfKind("ShardVerified").Where(e => e.Int("round") == lost.Int("round")
            && e.Int("shard") == lost.Int("shard") && e.WorkerId == survivor).Select(e => e.Text("reason")).ToList();
        var replayed = $"steps 1..{victimsLast} replay to the checkpoint";
        Assert.True(verdicts.Any(r => r.StartsWith(replayed, StringComparison.Ordinal)),
            $"no verdict of {survivor} replayed steps 1..{victimsLast}\n{events.Describe()}");
        AssertHistoryIsClean(cluster.JobEvents(jobId), 2, 2);
    }

    [Fact]
    public async Task Killing_the_coordinator_mid_round_and_restarting_it_resumes_the_job_bit_identical()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var yaml = Yaml();
        var jobId = cluster.Submit(yaml);
        await RunningShardPast(cluster, jobId, 120);
        // A watch that is connected and following the job before the crash...
        await using var watchClient = cluster.Client();
        var before = Assert.IsType<JobView>(await watchClient.Ask(new GetJobStatus((JobId)jobId)));
        var watching = Task.Run(() => JobWatcher.Watch(watchClient, jobId, json: true, CancellationToken.None, printFinal: false));
        cluster.RestartCoordinator();

        // The restarted coordinator recovered the job from its journal: the same submission, no round lost.
        await using (var fresh = cluster.Client())
        {
            var recovered = Assert.IsType<JobView>(await fresh.Ask(new GetJobStatus((JobId)jobId)));
            Assert.Equal(before.SubmittedAt, recovered.SubmittedAt);
            Assert.True(recovered.Round >= before.Round,
                $"the job was in round {before.Round} before the restart, {recovered.Round} after");
            Assert.Equal(before.RoundHistory.Select(r => r.CheckpointHash),
                recovered.RoundHistory.Take(before.RoundHistory.Count).Select(r => r.CheckpointHash));
        }

        // ...reconnects by itself (its request in flight is answered by the restarted coordinator, or it retries)
        // and sees the job complete.
        Assert.True(await watching == ExitCodes.Success, cluster.Logs());
        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        AssertHistoryIsClean(cluster.JobEvents(jobId), 2, 2);
    }

    [Fact]
    public async Task Killing_a_worker_and_the_coordinator_in_one_run_still_ends_bit_identical()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var yaml = Yaml(rounds: 3);
        var jobId = cluster.Submit(yaml);
        var victim = await RunningShardPast(cluster, jobId, 120);
        cluster.Kill(cluster.WorkerProcess(victim.WorkerId!));
        await RunningShardPast(cluster, jobId, 60);
        cluster.RestartCoordinator();
        cluster.StartWorker(victim.WorkerId!);   // the same identity comes back and gets work again

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        AssertHistoryIsClean(cluster.JobEvents(jobId), 3, 2);
    }

    [Fact]
    public async Task A_worker_that_takes_a_shard_and_stops_making_progress_loses_it_to_another_worker()
    {
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment["GENSYN_SHARD_STALL_SECONDS"] = "3";
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        cluster.StartWorker("staller", environment: new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = "stall" });
        cluster.WaitForWorkers(1);
        var yaml = Yaml(rounds: 1, shards: 1);
        var jobId = cluster.Submit(yaml);
        cluster.AwaitCondition(() => cluster.JobEvents(jobId).OfKind("ShardAssigned").Any(e => e.WorkerId == "staller"),
            TimeSpan.FromSeconds(60), "the staller to take the shard");
        cluster.StartWorker("honest");

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        var events = cluster.JobEvents(jobId);
        var lost = events.OfKind("ShardReleased").FirstOrDefault(e => e.WorkerId == "staller");
        Assert.True(lost is not null, $"no ShardReleased of the staller\n{events.Describe()}");
        Assert.Contains("no progress for 3 s", lost.Text("reason"));
    }

    [Fact]
    public void A_shard_that_fails_on_K_different_workers_fails_the_job_with_the_reason()
    {
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment["GENSYN_SHARD_STALL_SECONDS"] = "2";
        cluster.CoordinatorEnvironment["GENSYN_MAX_SHARD_FAILURES"] = "2";
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        var stall = new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = "stall" };
        cluster.StartWorker("staller-1", environment: stall);
        cluster.StartWorker("staller-2", environment: stall);
        cluster.WaitForWorkers(2);
        var jobId = cluster.Submit(TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 5));

        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.Equal(1, watched.ExitCode);
        var status = JsonDocument.Parse(watched.Stdout).RootElement;
        Assert.Equal("failed", status.GetProperty("state").GetString());
        var reason = status.GetProperty("reason").GetString()!;
        Assert.Contains("round 0 shard 0 failed on 2 different workers (staller-1, staller-2)", reason);
        Assert.Contains("no progress for 2 s", reason);
    }

    [Fact]
    public async Task A_bit_flipped_checkpoint_on_disk_is_detected_and_never_used()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var yaml = Yaml(rounds: 1);
        var jobId = cluster.Submit(yaml);
        var victim = await RunningShardPast(cluster, jobId, 120);

        // Freeze the victim so that no newer checkpoint lands, flip one bit of the latest one it uploaded
        // (as journaled), then kill it: the shard's next worker must not resume from the corrupt file.
        var process = cluster.WorkerProcess(victim.WorkerId!);
        Signal("STOP", process.Id);
        var checkpoints = cluster.JobEvents(jobId).OfKind("ShardCheckpointSaved")
            .Where(e => e.Int("round") == 0 && e.Int("shard") == victim.Shard && e.WorkerId == victim.WorkerId)
            .ToList();
        Assert.NotEmpty(checkpoints);
        var hash = checkpoints[^1].Text("checkpoint");
        var blob = Path.Combine(cluster.DataDir("coordinator"), "blobs", hash[..2], hash + ".blob");
        var bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x04;
        File.WriteAllBytes(blob, bytes);
        cluster.Kill(process);

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        var events = cluster.JobEvents(jobId);
        Assert.True(events.OfKind("ShardCheckpointDiscarded").Any(e => e.Text("checkpoint") == hash),
            $"checkpoint {hash} was not discarded\n{events.Describe()}");
    }

    [Fact]
    public async Task A_seeded_schedule_of_random_kills_ends_bit_identical_with_one_accepted_result_per_shard()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var yaml = Yaml(rounds: 4);
        var jobId = cluster.Submit(yaml);
        var random = new Random(20261126);
        var kills = new List<string>();
        await using (var client = cluster.Client())
        {
            while (kills.Count < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(2500 + random.Next(2500)));
                if (await client.Ask(new GetJobStatus((JobId)jobId), TimeSpan.FromSeconds(30)) is JobView { State: JobPhase.Completed }) break;
                var victim = random.Next(4) switch { 0 => "coordinator", 1 or 2 => "worker-1", _ => "worker-2" };
                kills.Add(victim);
                if (victim == "coordinator")
                {
                    cluster.RestartCoordinator();
                    continue;
                }
                cluster.Kill(cluster.WorkerProcess(victim));
                await Task.Delay(TimeSpan.FromMilliseconds(500 + random.Next(1500)));
                cluster.StartWorker(victim);
            }
        }

        var status = Finish(cluster, jobId);
        Assert.True(kills.Count >= 3, $"only {kills.Count} kills happened before the job ended: {string.Join(", ", kills)}");
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        AssertHistoryIsClean(cluster.JobEvents(jobId), 4, 2);
    }

    [Fact]
    public async Task A_job_with_no_worker_waits_and_says_so_runs_when_one_joins_and_cancel_stops_its_shards_promptly()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        var spec = Path.Combine(cluster.Root, "small.yaml");
        File.WriteAllText(spec, TestSpecs.SyntheticYaml(rounds: 1, shards: 2, innerSteps: 5));
        var submitted = cluster.Cli("submit", spec, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        string status;
        var clock = Stopwatch.StartNew();
        do status = cluster.Cli("status", jobId).Stdout;
        while (!status.Contains("waiting for a worker") && clock.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Contains("2 shard(s) waiting for a worker: no worker is registered", status);

        cluster.StartWorker("worker-1");
        Finish(cluster, jobId);

        // Cancel mid-round: the worker drops its shard at once and is free again.
        var longJob = cluster.Submit(Yaml(rounds: 5, shards: 1));
        await RunningShardPast(cluster, longJob, 60);
        Assert.Equal(0, cluster.Cli("cancel", longJob).ExitCode);
        // The shard (400 steps, a few seconds) is dropped: the worker's run of it stops, never finished, and the
        // worker is free again.
        var state = Path.Combine(cluster.DataDir("worker-1"), WorkerShardState.FileName);
        bool Stopped(JsonElement run) => run.GetProperty("jobId").GetString() == longJob;
        cluster.AwaitCondition(
            () => WorkerState(state) is { } s && s.GetProperty("stopped").EnumerateArray().Any(Stopped),
            TimeSpan.FromSeconds(60), $"worker-1 to stop its run of {longJob}");
        var shards = WorkerState(state)!.Value;
        Assert.Equal(JsonValueKind.Null, shards.GetProperty("current").ValueKind);
        Assert.DoesNotContain(shards.GetProperty("completed").EnumerateArray(), Stopped);
        Assert.Contains(shards.GetProperty("completed").EnumerateArray(),
            run => run.GetProperty("jobId").GetString() == jobId);
        var workers = JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers");
        Assert.Equal("idle", workers[0].GetProperty("state").GetString());
    }

    [Fact]
    public void A_start_state_that_fails_its_hash_on_the_coordinator_is_recomputed_not_sent()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        var yaml = TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 6);
        var jobId = cluster.Submit(yaml);
        cluster.AwaitCondition(() => cluster.JobEvents(jobId).OfKind("RoundStarted").Any(), TimeSpan.FromSeconds(60),
            "round 0 to start");

        // With no worker yet, every blob on the coordinator is round 0's: flip a bit in each.
        var blobs = Directory.GetFiles(Path.Combine(cluster.DataDir("coordinator"), "blobs"), "*.blob", SearchOption.AllDirectories);
        Assert.NotEmpty(blobs);
        foreach (var blob in blobs)
        {
            var bytes = File.ReadAllBytes(blob);
            bytes[^1] ^= 0x01;
            File.WriteAllBytes(blob, bytes);
        }
        cluster.StartWorker("worker-1");

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        // The coordinator recomputed round 0's start states and stored them again, intact.
        var started = cluster.JobEvents(jobId).OfKind("RoundStarted").First(e => e.Int("round") == 0);
        foreach (var start in started.Data.GetProperty("shardStarts").EnumerateArray().Select(h => h.GetString()!))
        {
            var stored = Path.Combine(cluster.DataDir("coordinator"), "blobs", start[..2], start + ".blob");
            Assert.True(File.Exists(stored), $"round 0's start state {start} is not in the coordinator's blob store");
            var hash = System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(stored));
            Assert.Equal(start, Convert.ToHexStringLower(hash));
        }
        // The worker never got the flipped bytes: it would have refused them and failed its shard, a release that
        // counts against it in the journal. (The coordinator's own release of a shard whose start state it found
        // unusable does not count against the worker.)
        var events = cluster.JobEvents(jobId);
        Assert.True(!events.OfKind("ShardReleased").Any(e => e.Data.GetProperty("countsAsFailure").GetBoolean()),
            $"the worker failed a shard\n{events.Describe()}");
    }

    [Fact]
    public async Task A_job_whose_journal_writes_fail_while_the_database_is_down_recovers_when_it_returns()
    {
        using var database = PostgresTestDatabase.Create();
        using var cluster = TestCluster.Start(workers: 1, db: database.ConnectionString);
        var yaml = Yaml(rounds: 3, shards: 1);
        var jobId = cluster.Submit(yaml);
        await RunningShardPast(cluster, jobId, 60);

        Postgres("stop");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            Postgres("start");
        }

        var status = Finish(cluster, jobId);
        Assert.Equal(ReferenceDigest(yaml, cluster.Root), status.GetProperty("finalDigest").GetString());
        AssertHistoryIsClean(JobJournal.ReadPostgres(database.ConnectionString, jobId), 3, 1);
        // The one log-text assertion kept on purpose: the journal cannot show a write it never took, and the outage
        // leaves no state behind once the job recovered. Akka's "Failed to persist" line is the operator-facing message
        // that tells the database lost writes and the job restarted, so it is the line itself that is asserted.
        Assert.Contains("Failed to persist", cluster.LogOf("coordinator"));
    }

    /// <summary>A worker's DATA_DIR/worker-state.json, or null while it has none (or is replacing it).</summary>
    private static JsonElement? WorkerState(string file)
    {
        try
        {
            using var state = JsonDocument.Parse(File.ReadAllText(file));
            return state.RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
    }

    private static void Postgres(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Cli.GensynProcess.RepositoryRoot, "scripts", "postgres.sh"));
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"scripts/postgres.sh {command} failed: {error.Result}");
    }
}

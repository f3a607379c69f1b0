using System.Text.Json;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Cluster;

/// <summary>Cheating workers, as real processes, against a coordinator that spot-checks every result.</summary>
[Collection("cluster")]
public class VerificationTests
{
    /// <summary>One round of five shards; every step of every result is challenged (samples = H), so each cheat is caught for sure.</summary>
    private static string Yaml(int shards, string mode = "spot-check") => $$"""
        name: cheaters
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 1
          shards: {{shards}}
          inner-steps: 8
          batch-size: 16
          seed: 21
          threads: 1
          checkpoint-every: 4
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: {{mode}}, samples: 8 }
        """;

    /// <summary>The verdicts of a job's `status --json`.</summary>
    private static List<(string Worker, string Outcome, string Reason)> Verdicts(JsonElement status) =>
        status.GetProperty("verdicts").EnumerateArray()
            .Select(v => (v.GetProperty("workerId").GetString()!, v.GetProperty("outcome").GetString()!.ToLowerInvariant(), v.GetProperty("reason").GetString()!))
            .ToList();

    public static readonly (string Behavior, string Outcome)[] Cheats =
    [
        ("lazy", "fraud"), ("noisy", "fraud"), ("stale", "fraud"), ("wrong-data", "fraud"), ("refuser", "unavailable"),
    ];

    [Fact]
    public void Every_kind_of_cheating_worker_is_caught_and_the_job_still_ends_bit_identical_to_an_honest_run()
    {
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment["GENSYN_CHALLENGE_SECONDS"] = "5";
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        foreach (var (behavior, _) in Cheats)
            cluster.StartWorker(behavior, environment: new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = behavior });
        cluster.WaitForWorkers(Cheats.Length);

        var yaml = Yaml(Cheats.Length);
        var spec = Path.Combine(cluster.Root, "cheaters.yaml");
        File.WriteAllText(spec, yaml);
        var submitted = cluster.Cli("submit", spec, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        // Each cheater takes one shard before the honest worker exists.
        foreach (var (behavior, _) in Cheats)
            cluster.AwaitCondition(
                () => cluster.JobEvents(jobId).OfKind("ShardAssigned").Any(e => e.WorkerId == behavior),
                TimeSpan.FromSeconds(60), $"the {behavior} worker to take a shard");
        cluster.StartWorker("honest");

        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.True(watched.ExitCode == 0, watched.Stderr + watched.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(watched.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        var reference = LocalJobRunner.Run(JobSpecParser.Parse(yaml, cluster.Root), Cli.GensynProcess.DataDirectory).FinalDigest.ToString();
        Assert.Equal(reference, status.GetProperty("finalDigest").GetString());

        var verdicts = Verdicts(status);
        foreach (var (behavior, outcome) in Cheats)
        {
            var verdict = Assert.Single(verdicts, v => v.Worker == behavior);
            Assert.True(verdict.Outcome == outcome, $"{behavior}: expected {outcome}, got {verdict.Outcome}: {verdict.Reason}");
        }
        // The honest worker re-ran every shard and was never rejected; the round's match rate is 5 / 10, so it is not paid.
        Assert.Equal(Cheats.Length, verdicts.Count(v => v.Worker == "honest" && v.Outcome == "accepted"));
        Assert.Equal(0.5, status.GetProperty("matchRate").GetDouble(), 3);
        var round = Assert.Single(status.GetProperty("roundHistory").EnumerateArray());
        Assert.False(round.GetProperty("paid").GetBoolean());
        Assert.All(round.GetProperty("workers").EnumerateArray(), w => Assert.Equal("honest", w.GetString()));

        // The journal keeps the evidence: the step at fault and the digests.
        var events = cluster.JobEvents(jobId);
        var fraud = Assert.Single(events.OfKind("ShardVerified"), e => e.WorkerId == "lazy");
        Assert.Equal("fraud", fraud.Text("outcome"));
        foreach (var evidence in new[] { "step", "expected", "claimed" })
            Assert.True(fraud.Data.GetProperty(evidence).ValueKind != JsonValueKind.Null,
                $"the lazy worker's verdict has no {evidence}: {fraud}");
        var refused = Assert.Single(events.OfKind("ShardVerified"), e => e.WorkerId == "refuser");
        Assert.Equal("unavailable", refused.Text("outcome"));
        // Cheaters are excluded: never granted a shard of this job again.
        foreach (var (behavior, _) in Cheats)
            Assert.Single(events.OfKind("ShardAssigned"), e => e.WorkerId == behavior);
    }

    /// <summary>Replicated mode with one honest replica and one cheat: the cheat is rejected, the honest result is used.</summary>
    [Theory]
    [InlineData("lazy", "fraud", false)]
    [InlineData("copycat", "invalid", true)]
    public void In_replicated_mode_a_cheating_replica_is_caught_and_the_honest_replica_s_result_is_used(
        string behavior, string outcome, bool rootsAgree)
    {
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment["GENSYN_CHALLENGE_SECONDS"] = "10";
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        var cheat = new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = behavior };
        if (behavior == "copycat")
        {
            // The copycat's operator paid for the same training before (on another worker, gone since): the
            // coordinators published its roots to them, and the copycat commits to those instead of training.
            cluster.StartWorker("earlier");
            cluster.WaitForWorkers(1);
            var earlier = Path.Combine(cluster.Root, "earlier.yaml");
            File.WriteAllText(earlier, Yaml(1));
            var paid = cluster.Cli("submit", earlier, "--wait", "--json");
            Assert.True(paid.ExitCode == 0, paid.Stderr + paid.Stdout + cluster.Logs());
            cheat["GENSYN_COPYCAT_JOB"] = JsonDocument.Parse(paid.Stdout).RootElement.GetProperty("jobId").GetString()!;
            cheat["GENSYN_COPYCAT_KEY"] = Path.Combine(cluster.DataDir("cli"), "wallet.key");
            cluster.Kill(cluster.WorkerProcess("earlier"));
            cluster.AwaitCondition(() => !cluster.Cli("workers", "--json").Stdout.Contains("\"earlier\""),
                TimeSpan.FromSeconds(60), "the earlier worker to leave the registry");
        }
        cluster.StartWorker("honest");
        cluster.StartWorker(behavior, environment: cheat);
        cluster.WaitForWorkers(2);

        var yaml = Yaml(1, "replicated");
        var spec = Path.Combine(cluster.Root, "replicated.yaml");
        File.WriteAllText(spec, yaml);
        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + submitted.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(submitted.Stdout).RootElement;
        var reference = LocalJobRunner.Run(JobSpecParser.Parse(yaml, cluster.Root), Cli.GensynProcess.DataDirectory).FinalDigest.ToString();
        Assert.Equal(reference, status.GetProperty("finalDigest").GetString());

        var verdicts = Verdicts(status);
        var caught = Assert.Single(verdicts, v => v.Worker == behavior);
        Assert.True(caught.Outcome == outcome, $"{behavior}: expected {outcome}, got {caught.Outcome}: {caught.Reason}");
        Assert.Equal("accepted", Assert.Single(verdicts, v => v.Worker == "honest").Outcome);
        Assert.Equal(0.5, status.GetProperty("matchRate").GetDouble(), 3);
        // The journaled verdicts: a lazy replica's root differs from the honest one's, and the step where they first
        // differ is the evidence; a copycat's root is the honest one's, and it cannot prove it holds the states
        // behind it.
        var events = cluster.JobEvents(status.GetProperty("jobId").GetString()!).OfKind("ShardVerified").ToList();
        var cheater = Assert.Single(events, e => e.WorkerId == behavior);
        var honest = Assert.Single(events, e => e.WorkerId == "honest");
        Assert.Equal(rootsAgree, cheater.Text("merkleRoot") == honest.Text("merkleRoot"));
        if (!rootsAgree)
            Assert.True(cheater.Data.GetProperty("step").ValueKind == JsonValueKind.Number,
                $"no step at fault in {cheater}");
        // Each replica sealed its result before either revealed one: both seals are journaled before the first verdict.
        var journal = cluster.JobEvents(status.GetProperty("jobId").GetString()!);
        var firstVerdict = journal.OfKind("ShardVerified").Min(e => e.SequenceNr);
        var seals = journal.OfKind("ReplicaSealed").Where(e => e.SequenceNr < firstVerdict).ToList();
        Assert.True(seals.Count == 2, $"expected both replicas' seals before the first verdict\n{journal.Describe()}");
        Assert.Equal([0, 1], seals.Select(e => e.Int("replica")).Order());
        Assert.Equal(new[] { behavior, "honest" }.Order(StringComparer.Ordinal),
            seals.Select(e => e.WorkerId!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_verifier_node_judges_the_coordinators_results_and_refuses_to_start_without_a_coordinator_to_join()
    {
        using var cluster = TestCluster.Create();
        var port = LocalCluster.FreePort();
        cluster.StartCoordinator("coordinator", port, seeds: $"127.0.0.1:{port}");
        cluster.StartVerifier("verifier", $"127.0.0.1:{port}");   // returns once it is a member (Up)
        cluster.StartWorker("worker");
        cluster.WaitForWorkers(1);

        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, Yaml(2));
        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + submitted.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(submitted.Stdout).RootElement;
        Assert.Equal(1.0, status.GetProperty("matchRate").GetDouble());
        // Both results were judged by the verifier node (its cluster address, as its ready file gives it), none by
        // the coordinator's own pool.
        using var ready = JsonDocument.Parse(File.ReadAllText(Path.Combine(cluster.DataDir("verifier"), "ready.json")));
        var verifier = ready.RootElement.GetProperty("address").GetString();
        var verdicts = cluster.JobEvents(status.GetProperty("jobId").GetString()!).OfKind("ShardVerified").ToList();
        Assert.Equal(2, verdicts.Count);
        Assert.All(verdicts, v =>
        {
            Assert.Equal("accepted", v.Text("outcome"));
            Assert.Equal(verifier, v.Text("verifierId"));
        });

        var lone = Cli.GensynProcess.Run(cluster.DataDir("lone"), "node", "--role", "verifier", "--port", "0");
        Assert.Equal(2, lone.ExitCode);
        Assert.Contains("--role verifier: give the coordinator(s) to join with --seed", lone.Stderr);
    }
}

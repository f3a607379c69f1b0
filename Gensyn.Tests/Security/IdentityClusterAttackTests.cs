using System.Text.Json;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// H4 with real processes: a worker caught cheating comes back under a new worker id with the same key. Before the fix exclusion
/// was by id, so the new id got the shard it had just been caught on; now its key is convicted, and the registry refuses every
/// registration of it, saying why in the worker's log.
/// </summary>
[Collection("cluster")]
public class IdentityClusterAttackTests
{
    private const string Yaml = """
        name: comeback
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 1
          shards: 1
          inner-steps: 8
          batch-size: 16
          seed: 21
          threads: 1
          checkpoint-every: 4
        verification: { mode: spot-check, samples: 8 }
        """;

    [Fact]
    public void A_caught_worker_back_under_a_new_id_with_the_same_key_gets_no_shard_of_that_job()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        var lazy = new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = "lazy" };
        cluster.StartWorker("cheat-a", environment: lazy);
        cluster.WaitForWorkers(1);

        var spec = Path.Combine(cluster.Root, "comeback.yaml");
        File.WriteAllText(spec, Yaml);
        var submitted = cluster.Cli("submit", spec, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        cluster.AwaitCondition(
            () => cluster.JobEvents(jobId).OfKind("ShardVerified")
                .Any(e => e.WorkerId == "cheat-a" && e.Text("outcome") == "fraud"),
            TimeSpan.FromSeconds(90), "cheat-a to be caught");

        // The same key from a new process under a new id: its key is convicted, so it is not even registered.
        WorkerKey.Load(Path.Combine(cluster.DataDir("cheat-a"), "worker.key")).Save(Path.Combine(cluster.DataDir("cheat-b"), "worker.key"));
        cluster.StartWorker("cheat-b", environment: lazy);
        Assert.Equal(cluster.AddressOf("cheat-a"), cluster.AddressOf("cheat-b"));
        var refusal = $"key {cluster.AddressOf("cheat-b")} is convicted (fraud";
        cluster.AwaitCondition(() => cluster.LogOf("cheat-b").Contains(refusal, StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(60), "the caught key's new worker to be refused as convicted");

        cluster.StartWorker("honest");
        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.True(watched.ExitCode == 0, watched.Stderr + watched.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(watched.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        Assert.DoesNotContain(cluster.JobEvents(jobId), e => e.Type == "ShardAssigned" && e.WorkerId == "cheat-b");
        var round = Assert.Single(status.GetProperty("roundHistory").EnumerateArray());
        Assert.All(round.GetProperty("workers").EnumerateArray(), w => Assert.Equal("honest", w.GetString()));
    }
}

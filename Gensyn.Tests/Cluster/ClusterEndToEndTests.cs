using System.Text.Json;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>Separate OS processes: a coordinator, two workers and the CLI.</summary>
[Collection("cluster")]
public class ClusterEndToEndTests
{
    /// <summary>MNIST through the cluster, small enough for the suite: 2 rounds x 3 shards x 15 steps.</summary>
    public const string MnistYaml = """
        name: mnist-e2e
        model: { kind: mlp, hidden: [32] }
        dataset: { name: mnist }
        training:
          rounds: 2
          shards: 3
          inner-steps: 15
          batch-size: 32
          seed: 11
          threads: 1
          checkpoint-every: 5
          inner-optimizer: { kind: adamw, lr: 0.002 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    [Fact]
    public void An_mnist_job_through_a_coordinator_and_two_workers_ends_bit_identical_to_gensyn_train()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var spec = Path.Combine(cluster.Root, "mnist-e2e.yaml");
        File.WriteAllText(spec, MnistYaml);

        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var status = JsonDocument.Parse(submitted.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        var jobId = status.GetProperty("jobId").GetString()!;
        var workers = status.GetProperty("roundHistory").EnumerateArray()
            .SelectMany(r => r.GetProperty("workers").EnumerateArray().Select(w => w.GetString())).Distinct().ToList();
        Assert.Equal(2, workers.Count);

        var model = Path.Combine(cluster.Root, "cluster.safetensors");
        var result = cluster.Cli("result", jobId, "--out", model);
        Assert.True(result.ExitCode == 0, result.Stderr);

        var local = GensynProcess.Run(cluster.DataDir("local"), "train", spec, "--json", "--out", Path.Combine(cluster.Root, "local.safetensors"));
        Assert.True(local.ExitCode == 0, local.Stderr);
        var reference = JsonDocument.Parse(local.Stdout).RootElement;
        Assert.Equal(reference.GetProperty("finalDigest").GetString(), status.GetProperty("finalDigest").GetString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(cluster.Root, "local.safetensors")), File.ReadAllBytes(model));
        Assert.Equal(reference.GetProperty("testAccuracy").GetDouble(), status.GetProperty("testAccuracy").GetDouble());

        // Every result was spot-checked (k = 44 > its 3 segments of c = 5 steps: all of them) and accepted, and the
        // scheduler credits each worker with the shards it completed: 2 rounds x 3 shards, none counted as abandoned.
        Assert.Equal(6, status.GetProperty("verdicts").EnumerateArray().Count(v => v.GetProperty("outcome").GetString() == "accepted"));
        Assert.Equal(1.0, status.GetProperty("matchRate").GetDouble());
        var registered = JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal(6, registered.Sum(w => w.GetProperty("completedShards").GetInt32()));
        Assert.All(registered, w => Assert.Equal(1.0, w.GetProperty("reliability").GetDouble()));
    }
}

using System.Text.Json;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// Verification beside the next shard, through real processes: a worker whose key has an accepted result is granted
/// its next shard when it commits, before its verdict, and the job still ends bit-identical to a local run.
/// </summary>
[Collection("cluster")]
public class OverlappedVerificationTests
{
    /// <summary>One worker for three shards: the first result is verified before anything else (a new key), the
    /// second one frees the worker for the third.</summary>
    private const string Yaml = """
        name: mnist-overlap
        model: { kind: mlp, hidden: [32] }
        dataset: { name: mnist }
        training:
          rounds: 1
          shards: 3
          inner-steps: 15
          batch-size: 32
          seed: 5
          threads: 1
          checkpoint-every: 5
          inner-optimizer: { kind: adamw, lr: 0.002 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    [Fact]
    public void A_trusted_worker_takes_its_next_shard_before_its_verdict_and_the_job_ends_bit_identical()
    {
        using var cluster = TestCluster.Start(workers: 1);
        var spec = Path.Combine(cluster.Root, "mnist-overlap.yaml");
        File.WriteAllText(spec, Yaml);

        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var status = JsonDocument.Parse(submitted.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        var reference = LocalJobRunner.Run(JobSpecParser.Parse(Yaml, cluster.Root), Cli.GensynProcess.DataDirectory);
        Assert.Equal(reference.FinalDigest.ToString(), status.GetProperty("finalDigest").GetString());

        // In journal order: the first shard is verified before the worker takes another (its key had no accepted
        // result); a later shard is assigned before the verdict on the worker's previous one.
        var events = cluster.JobEvents(status.GetProperty("jobId").GetString()!)
            .Where(e => e.Type is "ShardAssigned" or "ShardVerified").ToList();
        Assert.True(events.Count(e => e.Type == "ShardVerified") == 3, events.Describe());
        var firstVerified = events.FindIndex(e => e.Type == "ShardVerified");
        Assert.True(events.Take(firstVerified).Count(e => e.Type == "ShardAssigned") == 1, events.Describe());
        var overlapped = events.Select((e, i) => (e, i)).Any(x => x.e.Type == "ShardAssigned"
            && events.Take(x.i).Count(e => e.Type == "ShardAssigned")
            > events.Take(x.i).Count(e => e.Type == "ShardVerified"));
        Assert.True(overlapped, events.Describe());
    }
}

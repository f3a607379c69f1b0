using System.Text.Json;

namespace Gensyn.Tests.Cluster;

[Collection("cluster")]
public class TwoCoordinatorTests
{
    [Fact]
    public void Two_coordinators_in_one_cluster_both_accept_submissions_and_jobs_spread_across_them_and_share_one_worker()
    {
        using var cluster = TestCluster.Create();
        var first = LocalCluster.FreePort();
        var second = LocalCluster.FreePort();
        cluster.StartCoordinator("coordinator-a", first, seeds: $"127.0.0.1:{first}");
        cluster.StartCoordinator("coordinator-b", second, seeds: $"127.0.0.1:{first}");
        cluster.StartWorker("worker-1");
        cluster.WaitForWorkers(1);

        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 2));
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var through = i % 2 == 0 ? $"127.0.0.1:{first}" : $"127.0.0.1:{second}";
            var submitted = Cli.GensynProcess.Run(cluster.DataDir("cli"), "submit", spec, "--json", "--coordinator", through);
            Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
            ids.Add(JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!);
        }
        foreach (var id in ids)
        {
            var watched = cluster.Cli("watch", id, "--json");
            Assert.True(watched.ExitCode == 0, watched.Stderr + cluster.Logs());
        }

        // Each coordinator journals the jobs whose entities it hosts (each its own SQLite journal); sharding put some on each.
        int Hosted(string name) => ids.Count(id => cluster.JobEvents(id, name).Any(e => e.Type == "JobSubmitted"));
        var a = Hosted("coordinator-a");
        var b = Hosted("coordinator-b");
        Assert.Equal(ids.Count, a + b);
        Assert.True(a > 0 && b > 0, $"jobs on coordinator-a: {a}, on coordinator-b: {b}\n{cluster.Logs()}");

        // The one worker's session is on one coordinator's edge, whose scheduler alone holds it: the other coordinator's
        // jobs ran on it because their shards were handed over.
        var handed = cluster.LogOf("coordinator-a") + cluster.LogOf("coordinator-b");
        Assert.True(handed.Contains("waiting shard(s) to the scheduler at"), "no coordinator handed a shard over\n" + cluster.Logs());

        // Either coordinator lists every job.
        var listed = JsonDocument.Parse(Cli.GensynProcess.Run(cluster.DataDir("cli"), "status", "--json", "--coordinator", $"127.0.0.1:{second}").Stdout)
            .RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()).ToHashSet();
        Assert.True(ids.All(listed.Contains));
    }
}

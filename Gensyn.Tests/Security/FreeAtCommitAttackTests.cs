using System.Text.Json;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Local;
using Gensyn.Testing.Workers;
using Gensyn.Tests.Cluster;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Security;

/// <summary>
/// Issue 21's early release, attacked through real processes. A key whose last result was accepted is granted its next
/// shard when it commits, before the verdict on what it committed. A sleeper earns that trust with one honest result,
/// cheats once, is freed at that commit, and trains the next shard honestly while the cheat is verified. That shard
/// must not count, however far it got when the cheat was judged: its worker is let go while it trains, or its
/// result, even one its verifier accepts, is refused (<c>JobState.Judge</c>). The key gets no shard after its
/// conviction, and the job ends as an honest run.
/// </summary>
[Collection("cluster")]
public class FreeAtCommitAttackTests
{
    private const string Yaml = """
        name: mnist-sleeper
        model: { kind: mlp, hidden: [32] }
        dataset: { name: mnist }
        training:
          rounds: 1
          shards: 4
          inner-steps: 15
          batch-size: 32
          seed: 9
          threads: 1
          checkpoint-every: 5
          inner-optimizer: { kind: adamw, lr: 0.002 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    [Fact]
    public void A_sleeper_freed_at_its_cheating_commit_gains_nothing_from_the_shard_it_took_before_its_verdict()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        cluster.StartWorker("sleeper", environment: new Dictionary<string, string>
        {
            ["GENSYN_WORKER_BEHAVIOR"] = "lazy",
            [EnvironmentWorkerFaults.HonestResultsVariable] = "1",
            [EnvironmentWorkerFaults.CheatingResultsVariable] = "1",
            [EnvironmentWorkerFaults.FakeFractionVariable] = "0.5",
        });
        cluster.WaitForWorkers(1);
        var jobId = cluster.Submit(Yaml);

        // The sleeper works alone until its first cheat is judged; then an honest worker finishes the job.
        static bool Convicted(JournaledEvent e) =>
            e.Type == "ShardVerified" && e.WorkerId == "sleeper" && e.Text("outcome") != "accepted";
        cluster.AwaitCondition(() => cluster.JobEvents(jobId).Any(Convicted), TimeSpan.FromSeconds(120),
            "the sleeper's first cheating result to be rejected");
        cluster.StartWorker("honest");
        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.True(watched.ExitCode == 0, watched.Stderr + watched.Stdout + cluster.Logs());
        var status = JsonDocument.Parse(watched.Stdout).RootElement;
        Assert.Equal("completed", status.GetProperty("state").GetString());
        var reference = LocalJobRunner.Run(JobSpecParser.Parse(Yaml, cluster.Root), Cli.GensynProcess.DataDirectory);
        Assert.Equal(reference.FinalDigest.ToString(), status.GetProperty("finalDigest").GetString());

        var events = cluster.JobEvents(jobId)
            .Where(e => e.Type is "ShardAssigned" or "ShardVerified" or "ShardCompleted").ToList();
        var conviction = events.FindIndex(Convicted);
        var before = events.Take(conviction).Where(e => e.WorkerId == "sleeper").ToList();
        // The attack ran: when its cheat was judged, the sleeper held a shard granted after that cheat's commit.
        Assert.True(before.Count(e => e.Type == "ShardAssigned") > before.Count(e => e.Type == "ShardVerified") + 1,
            events.Describe());
        // Only its first honest result counts; after its conviction it is granted nothing and completes nothing, though
        // the shard it trained honestly beside its cheat's verification may be judged accepted.
        var completed = Assert.Single(events, e => e.Type == "ShardCompleted" && e.WorkerId == "sleeper");
        Assert.True(events.IndexOf(completed) < conviction, events.Describe());
        Assert.DoesNotContain(events.Skip(conviction + 1),
            e => e.WorkerId == "sleeper" && e.Type is "ShardAssigned" or "ShardCompleted");
        Assert.DoesNotContain(events.Skip(conviction + 1),
            e => e.Type == "ShardVerified" && e.WorkerId == "sleeper" && e.Text("outcome") == "accepted");
    }
}

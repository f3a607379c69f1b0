using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Cluster;

/// <summary>A message type the coordinators have never heard of (its manifest is unknown to them).</summary>
public sealed record RogueMessage(string Payload) : IGensynMessage;

/// <summary>Bad input against real coordinator and worker processes.</summary>
[Collection("cluster")]
public class BadInputTests
{
    [Fact]
    public void Requests_for_unknown_jobs_invalid_specs_early_results_and_cancellations_get_clear_errors_and_persist_nothing_bad()
    {
        using var cluster = LocalCluster.Start(workers: 1);

        // An invalid spec: exit 2, one line per field, nothing persisted.
        var bad = Path.Combine(cluster.Root, "bad.yaml");
        File.WriteAllText(bad, TestSpecs.SyntheticYaml(rounds: 0, innerSteps: 0));
        var rejected = cluster.Cli("submit", bad);
        Assert.Equal(2, rejected.ExitCode);
        Assert.Contains("training.rounds", rejected.Stderr);
        Assert.Contains("training.inner-steps", rejected.Stderr);
        Assert.DoesNotContain("   at ", rejected.Stderr);
        var empty = cluster.Cli("status", "--json");
        Assert.True(empty.ExitCode == 0, empty.Stderr);
        Assert.Empty(JsonDocument.Parse(empty.Stdout).RootElement.GetProperty("jobs").EnumerateArray());

        // Unknown ids, well-formed or not.
        foreach (var id in new[] { "job-00000000", "no-such-job" })
        {
            var unknown = cluster.Cli("status", id);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains($"no job '{id}'", unknown.Stderr);
        }
        Assert.Equal(2, cluster.Cli("cancel", "job-00000000").ExitCode);
        Assert.Equal(2, cluster.Cli("result", "job-00000000").ExitCode);

        // A long job: its result is not ready, cancelling it works once, and watch reports the failure.
        var slow = Path.Combine(cluster.Root, "slow.yaml");
        File.WriteAllText(slow, TestSpecs.SyntheticYaml(rounds: 50, innerSteps: 200));
        var submitted = cluster.Cli("submit", slow, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        var early = cluster.Cli("result", jobId, "--out", Path.Combine(cluster.Root, "early.safetensors"));
        Assert.Equal(2, early.ExitCode);
        Assert.Contains("gensyn watch", early.Stderr);
        Assert.False(File.Exists(Path.Combine(cluster.Root, "early.safetensors")));

        var cancelled = cluster.Cli("cancel", jobId);
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr);
        var again = cluster.Cli("cancel", jobId);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already cancelled", again.Stderr);
        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.Equal(1, watched.ExitCode);
        Assert.Equal("cancelled", JsonDocument.Parse(watched.Stdout).RootElement.GetProperty("state").GetString());
        var logs = cluster.Cli("logs", jobId);
        Assert.Contains("cancelled", logs.Stdout);
    }

    [Fact]
    public void No_coordinator_gives_a_clear_error_within_seconds()
    {
        using var temp = new TempDirectory();
        var port = LocalCluster.FreePort();
        var result = Cli.GensynProcess.Run(temp.Path, "status", "--coordinator", $"127.0.0.1:{port}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no coordinator answered", result.Stderr);
        var malformed = Cli.GensynProcess.Run(temp.Path, "status", "--coordinator", "localhost");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("HOST:PORT", malformed.Stderr);
    }

    [Fact]
    public async Task A_worker_that_sends_unknown_or_oversized_messages_is_dropped_without_harming_other_workers_or_jobs()
    {
        using var cluster = LocalCluster.Start(workers: 1);

        // The rogue lifts its own size limit so that what it sends reaches the coordinator's checks.
        var rogueConfig = ConfigurationFactory.ParseString("""
            gensyn.max-message-bytes = 2000000
            akka.remote.dot-netty.tcp.maximum-frame-size = 4000000b
            """).WithFallback(NodeConfig.Remote());
        using (var rogue = ActorSystem.Create(NodeConfig.SystemName, rogueConfig))
        {
            var contacts = cluster.Coordinators.Split(',')
                .Select(c => ActorPath.Parse($"akka.tcp://{NodeConfig.SystemName}@{c}/system/receptionist")).ToImmutableHashSet();
            var client = rogue.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(rogue).WithInitialContacts(contacts)));
            var probe = rogue.ActorOf(Props.Empty, "rogue-worker");
            // Make sure the rogue is connected, then misbehave.
            var list = await client.Ask<WorkerList>(new ClusterClient.Send(WorkerRegistry.ServicePath, new ListWorkers()), TimeSpan.FromSeconds(20));
            Assert.Single(list.Workers);
            client.Tell(new ClusterClient.Send(WorkerRegistry.ServicePath, new RogueMessage("hello")));
            client.Tell(new ClusterClient.Send(WorkerRegistry.ServicePath,
                new RegisterWorker(new string('x', 300_000), probe, "cpu", 1, 1, "cpu", 0.1, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")));
            client.Tell(new ClusterClient.Send(WorkerRegistry.ServicePath,
                new RegisterWorker("rogue", probe, "cpu", 1, 1, new string('y', 1_500_000), 0.1, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")));
            cluster.AwaitCondition(() => cluster.LogOf("coordinator") is var l && l.Contains("unknown type 'RogueMessage'") && l.Contains("byte message limit"),
                TimeSpan.FromSeconds(30), "the coordinator to log the refused messages");
        }

        var log = cluster.LogOf("coordinator");
        Assert.True(log.Contains("unknown type 'RogueMessage'"), cluster.Logs());
        Assert.True(log.Contains("over the 262,144-byte message limit") || log.Contains("maximum-frame-size") || log.Contains("frame"), cluster.Logs());

        // The honest worker is still registered and a job still completes.
        var workers = JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers");
        Assert.Equal(new[] { "worker-1" }, workers.EnumerateArray().Select(w => w.GetProperty("workerId").GetString()!).ToArray());
        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, TestSpecs.SyntheticYaml(rounds: 1, shards: 2, innerSteps: 4));
        var done = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(done.ExitCode == 0, done.Stderr + cluster.Logs());
    }
}

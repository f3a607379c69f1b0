using Gensyn.Actors;
using Gensyn.Edge;
using Gensyn.Edge.Client;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// A coordinator and a worker in this process, both with <c>akka.actor.serialize-messages = on</c>, so
/// every message of a real job, local or remote, goes through the project's serializers.
/// </summary>
[Collection("cluster")]
public class InProcessClusterTests
{
    /// <summary>A guard against a hung cluster, not a timing assertion: the job takes a few seconds.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("")] // the default outer compression, int8
    [InlineData("  outer-compression: int8\n  outer-topk: 0.05\n")] // with error feedback carried between rounds
    public async Task A_job_with_serialize_messages_on_ends_with_the_digest_and_round_test_figures_of_a_local_run(
        string compression)
    {
        using var root = new TempDirectory();
        var yaml = TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 8, evalEvery: 1)
            .Replace("  outer-optimizer:", compression + "  outer-optimizer:");
        var port = LocalCluster.FreePort();
        await using var coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", port, [], root.File("coordinator"), JournalOptions.Sqlite(root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")), SerializeMessages: true));
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);
        await using var edge = await EdgeServer.StartAsync(coordinator, new EdgeOptions("127.0.0.1", 0, root.File("coordinator")));
        var door = $"127.0.0.1:{edge.Port}";
        using var link = new WorkerLink([door], root.File("worker"));
        await using var worker = WorkerNode.Start(
            new WorkerOptions((WorkerId)"worker-1", [door], root.File("worker"), Threads: 1, PricePerHour: 0.2), link, serializeMessages: true);
        await using var client = CoordinatorClient.Connect(door, dataDirectory: root.File("cli"));

        Assert.True(coordinator.System.Settings.SerializeAllMessages);
        Assert.True(worker.System.Settings.SerializeAllMessages);

        var accepted = Assert.IsType<JobAccepted>(await client.Ask(new SubmitJob(yaml, root.Path), GiveUpAfter));
        Assert.Equal("synthetic-test", accepted.Name);

        var view = await WaitUntilFinished(client, accepted.JobId);
        Assert.True(view.State == JobPhase.Completed, $"the job ended {view.State}: {view.Reason}\n{await LogOf(client, accepted.JobId)}");
        Assert.Equal(3, view.RoundHistory.Count);
        Assert.All(view.RoundHistory, r => Assert.Equal(["worker-1", "worker-1"], r.Workers));
        // From the second round on, each shard's start state was rebuilt from the update the edge pushed with its
        // assignment: no fetch of it went to the edge.
        Assert.Equal(2 * 2, link.Pushed.Taken);

        var workers = Assert.IsType<WorkerList>(await client.Ask(new ListWorkers(), GiveUpAfter));
        Assert.Equal("worker-1", Assert.Single(workers.Workers).WorkerId);

        var (failure, hash) = await client.DownloadResult(accepted.JobId, root.File("model.safetensors"), GiveUpAfter);
        Assert.Null(failure);
        Assert.Equal(hash, Sha256Digest.Of(File.ReadAllBytes(root.File("model.safetensors"))));

        var spec = JobSpecParser.Parse(yaml, root.Path);
        var local = LocalJobRunner.Run(spec, root.File("local"));
        Assert.Equal(local.FinalDigest.ToString(), view.FinalDigest);
        Assert.Equal(local.Rounds.Select(r => r.CheckpointDigest.ToString()), view.RoundHistory.Select(r => r.CheckpointDigest));
        Assert.Equal(local.Rounds.Select(r => string.Join(",", r.ShardRoots)), view.RoundHistory.Select(r => string.Join(",", r.ShardRoots)));

        // Every round was evaluated on the test split where it was aggregated; the last round's figures are the job's.
        Assert.All(view.RoundHistory, r => Assert.NotNull(r.TestAccuracy));
        Assert.Equal(view.TestAccuracy, view.RoundHistory[^1].TestAccuracy);
        Assert.Equal(view.TestLoss, view.RoundHistory[^1].TestLoss);
        Assert.Equal(local.Rounds.Select(r => (r.Test!.Accuracy, r.Test.Loss)),
            view.RoundHistory.Select(r => (r.TestAccuracy!.Value, r.TestLoss!.Value)));
    }

    /// <summary>The job's view once it has ended, polled for at most <paramref name="limit"/> (default 2 min).</summary>
    internal static async Task<JobView> WaitUntilFinished(CoordinatorClient client, string jobId, TimeSpan? limit = null)
    {
        var giveUpAfter = limit ?? GiveUpAfter;
        JobView view = null!;
        await Poll.Until(
            async () =>
            {
                view = Assert.IsType<JobView>(await client.Ask(new GetJobStatus((JobId)jobId), giveUpAfter));
                return view.State is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
            },
            giveUpAfter,
            async () => $"the job was still {view.State} in round {view.Round} after {giveUpAfter.TotalSeconds} s\n" +
                        await LogOf(client, jobId));
        return view;
    }

    internal static async Task<string> LogOf(CoordinatorClient client, string jobId) =>
        await client.Ask(new GetJobLog((JobId)jobId, 0), GiveUpAfter) is JobLog log ? string.Join("\n", log.Entries.Select(e => e.Text)) : "(no log)";
}

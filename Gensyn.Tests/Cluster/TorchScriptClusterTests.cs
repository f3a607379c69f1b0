using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Edge;
using Gensyn.Edge.Client;
using Gensyn.Node.Cli;
using Gensyn.Tests.Models.TorchScript;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// A TorchScript job through a coordinator, its edge and two workers in this process, messages serialized: the module
/// travels as a blob the CLI uploaded (the requester's file is deleted after submit), and the model is byte-identical to
/// `gensyn train` of the same spec, in spot-check and in replicated mode.
/// </summary>
[Collection("cluster")]
public class TorchScriptClusterTests
{
    /// <summary>A guard against a hung cluster, not a timing assertion.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("spot-check")]
    [InlineData("replicated")]
    public async Task A_torchscript_job_trains_through_the_cluster_to_the_model_of_a_local_run(string mode)
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.File("requester"));
        File.Copy(TorchScriptFixtures.Path("tiny_csv"), root.File("requester/net.pt"));
        var yaml = TorchScriptFixtures.Yaml(verification: mode).Replace(TorchScriptFixtures.Path("tiny_csv"), "net.pt");
        File.WriteAllText(root.File("requester/job.yaml"), yaml);
        var local = LocalJobRunner.Run(JobSpecParser.ParseFile(root.File("requester/job.yaml")), root.File("local"));
        var network = NetworkSpec.Read(root.File("requester/job.yaml"));

        var port = LocalCluster.FreePort();
        await using var coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", port, [], root.File("coordinator"), JournalOptions.Sqlite(root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")), SerializeMessages: true));
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);
        await using var edge = await EdgeServer.StartAsync(coordinator, new EdgeOptions("127.0.0.1", 0, root.File("coordinator")));
        var door = $"127.0.0.1:{edge.Port}";
        using var link1 = new WorkerLink([door], root.File("worker-1"));
        using var link2 = new WorkerLink([door], root.File("worker-2"));
        await using var worker1 = WorkerNode.Start(
            new WorkerOptions((WorkerId)"worker-1", [door], root.File("worker-1"), Threads: 1, PricePerHour: 0.2), link1, serializeMessages: true);
        await using var worker2 = WorkerNode.Start(
            new WorkerOptions((WorkerId)"worker-2", [door], root.File("worker-2"), Threads: 1, PricePerHour: 0.2), link2, serializeMessages: true);
        await using var client = CoordinatorClient.Connect(door, dataDirectory: root.File("cli"));

        var (file, hash) = Assert.Single(network.Uploads);
        Assert.Null(await client.UploadBlob(file, hash));
        Directory.Delete(root.File("requester"), recursive: true);
        var accepted = Assert.IsType<JobAccepted>(await client.Ask(new SubmitJob(network.Yaml, ""), GiveUpAfter));

        JobView view = null!;
        await Poll.Until(async () =>
        {
            view = Assert.IsType<JobView>(await client.Ask(new GetJobStatus((JobId)accepted.JobId), GiveUpAfter));
            return view.State is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
        }, GiveUpAfter, () => Task.FromResult($"the job was still {view.State} in round {view.Round}"));
        Assert.True(view.State == JobPhase.Completed, $"the job ended {view.State}: {view.Reason}");

        var log = await client.Ask(new GetJobLog((JobId)accepted.JobId, 0), GiveUpAfter) is JobLog l
            ? string.Join("\n", l.Entries.Select(e => e.Text)) : "(no log)";
        Assert.True(local.FinalDigest.ToString() == view.FinalDigest, $"cluster {view.FinalDigest}, local {local.FinalDigest}\n{log}");
        var (failure, resultHash) = await client.DownloadResult(accepted.JobId, root.File("model.safetensors"), GiveUpAfter);
        Assert.Null(failure);
        var expected = CheckpointFile.SerializeModel(local.FinalState, new Dictionary<string, string>());
        var (tensors, _) = SafeTensors.Deserialize(File.ReadAllBytes(root.File("model.safetensors")), "result");
        var (localTensors, _) = SafeTensors.Deserialize(expected, "local");
        static string Bits(StateTensor t) => t.Name + ":" + Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Values.AsSpan()));
        Assert.Equal(localTensors.Select(Bits), tensors.Select(Bits));
        Assert.Equal(["hidden.bias", "hidden.weight", "out.bias", "out.weight"], tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_torchscript_job_trains_across_processes_from_a_module_only_the_requester_had()
    {
        // Real processes, each with its own data directory: the workers can only have the module by fetching its blob.
        using var cluster = TestCluster.Start(workers: 2);
        File.Copy(TorchScriptFixtures.Path("tiny_csv"), Path.Combine(cluster.Root, "net.pt"));
        var yaml = TorchScriptFixtures.Yaml(extra: "budget: { max-total: 1 }")
            .Replace(TorchScriptFixtures.Path("tiny_csv"), "net.pt");
        var local = LocalJobRunner.Run(JobSpecParser.Parse(yaml, cluster.Root), Cli.GensynProcess.DataDirectory);

        var jobId = cluster.Submit(yaml);
        File.Delete(Path.Combine(cluster.Root, "net.pt"));
        var settled = await SettlementTests.Settled(cluster, jobId);

        Assert.True(settled.State == JobPhase.Completed, $"{settled.State}: {settled.Reason}\n{cluster.Logs()}");
        Assert.Equal(local.FinalDigest.ToString(), settled.FinalDigest);
        Assert.True(Directory.EnumerateFiles(cluster.DataDir("worker-1"), "*", SearchOption.AllDirectories)
                        .Concat(Directory.EnumerateFiles(cluster.DataDir("worker-2"), "*", SearchOption.AllDirectories))
                        .All(f => !f.EndsWith(".pt", StringComparison.Ordinal)), "no worker was handed the requester's file");
    }
}

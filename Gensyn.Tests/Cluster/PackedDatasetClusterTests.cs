using System.Text.Json;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Messages;
using Gensyn.Edge;
using Gensyn.Edge.Client;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// A job whose spec names a packed dataset by its manifest: the coordinator's blob store holds the chunks and the
/// manifest, the workers have data directories of their own with no datasets in them, and nobody reads the files the
/// dataset was packed from. The workers fetch the chunks through the edge and cache them in DATA_DIR/cache.
/// </summary>
[Collection("cluster")]
public class PackedDatasetClusterTests
{
    /// <summary>A guard against a hung cluster, not a timing assertion: the job takes a few seconds.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    private const string Training = """
        training:
          { rounds: 2, shards: 2, inner-steps: 6, batch-size: 8, seed: 5, threads: 1, checkpoint-every: 3 }
        """;

    [Fact]
    public async Task A_csv_job_read_from_chunks_in_the_coordinators_blob_store_ends_byte_identical_to_gensyn_train()
    {
        using var root = new TempDirectory();
        var files = root.File("requester");
        Directory.CreateDirectory(files);
        var fileYaml = "name: csv-packed\nmodel: { kind: mlp, hidden: [8] }\n" +
                       "dataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }\n" + Training;
        var fileSpecPath = Path.Combine(files, "job.yaml");
        File.WriteAllText(fileSpecPath, fileYaml);
        PackedFixtures.WriteCsv(Path.Combine(files, "train.csv"), 60, seed: 1);
        PackedFixtures.WriteCsv(Path.Combine(files, "test.csv"), 17, seed: 2);
        var coordinatorDir = root.File("coordinator");
        var packed = DatasetPacker.Pack(Contracts.Jobs.JobSpecParser.Parse(fileYaml, files), files,
            new BlobStoreChunks(new BlobStore(Path.Combine(coordinatorDir, "blobs"))), PackedDataSettings.Default,
            targetChunkBytes: 256);
        Assert.True(packed.Manifest.Train.Chunks.Count > 2);
        var yaml = "name: csv-packed\nmodel: { kind: mlp, hidden: [8] }\n" +
                   $"dataset: {{ format: csv, manifest: sha256:{packed.Digest} }}\n" + Training;

        // What `gensyn train` of the spec over the files writes, before the files go.
        var local = GensynProcess.Run(root.File("local"), "train", fileSpecPath, "--json",
            "--out", root.File("local.safetensors"));
        Assert.True(local.ExitCode == 0, local.Stderr);
        var reference = JsonDocument.Parse(local.Stdout).RootElement;
        Directory.Delete(files, recursive: true);

        var port = LocalCluster.FreePort();
        await using var coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", port, [], coordinatorDir, JournalOptions.Sqlite(root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon"))));
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);
        await using var edge =
            await EdgeServer.StartAsync(coordinator, new EdgeOptions("127.0.0.1", 0, coordinatorDir));
        var door = $"127.0.0.1:{edge.Port}";
        using var link1 = new WorkerLink([door], root.File("worker-1"));
        using var link2 = new WorkerLink([door], root.File("worker-2"));
        WorkerOptions Worker(string name) => new((WorkerId)name, [door], root.File(name), Threads: 1, PricePerHour: 0.2);
        await using var worker1 = WorkerNode.Start(Worker("worker-1"), link1);
        await using var worker2 = WorkerNode.Start(Worker("worker-2"), link2);
        await using var client = CoordinatorClient.Connect(door, dataDirectory: root.File("cli"));
        await Poll.Until(
            async () => Assert.IsType<WorkerList>(await client.Ask(new ListWorkers(), GiveUpAfter)).Workers.Count == 2,
            GiveUpAfter, () => Task.FromResult("the two workers did not register"));

        var accepted = Assert.IsType<JobAccepted>(await client.Ask(new SubmitJob(yaml, root.Path), GiveUpAfter));
        var view = await InProcessClusterTests.WaitUntilFinished(client, accepted.JobId, GiveUpAfter);
        Assert.True(view.State == JobPhase.Completed,
            $"the job ended {view.State}: {view.Reason}\n{await InProcessClusterTests.LogOf(client, accepted.JobId)}");

        var (failure, _) = await client.DownloadResult(accepted.JobId, root.File("cluster.safetensors"), GiveUpAfter);
        Assert.Null(failure);
        Assert.Equal(reference.GetProperty("finalDigest").GetString(), view.FinalDigest);
        Assert.Equal(File.ReadAllBytes(root.File("local.safetensors")),
            File.ReadAllBytes(root.File("cluster.safetensors")));

        // The workers read no datasets folder; what they cached is the manifest and chunks of this dataset, intact.
        var ours = packed.Manifest.AllChunks.Select(c => c.Hash.ToString())
            .Append(packed.Digest.ToString()).ToHashSet();
        var cached = new[] { "worker-1", "worker-2" }
            .SelectMany(w => Directory.Exists(ChunkCache.DirectoryOf(root.File(w)))
                ? Directory.GetFiles(ChunkCache.DirectoryOf(root.File(w))) : []).ToList();
        Assert.NotEmpty(cached);
        Assert.All(cached, f => Assert.Contains(Path.GetFileName(f), ours));
        Assert.All(cached, f => Assert.Equal(Path.GetFileName(f), Sha256Digest.Of(File.ReadAllBytes(f)).ToString()));
        Assert.False(Directory.Exists(root.File("worker-1/datasets")));
        Assert.False(Directory.Exists(root.File("worker-2/datasets")));
    }
}

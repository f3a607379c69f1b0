using System.Globalization;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Edge.Wire;
using Gensyn.Node.Cli;
using Gensyn.Tests.Data.Packed;
using Gensyn.Tests.Security;
using Gensyn.Training.Data.Packed;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Cli;

/// <summary>
/// A packed dataset's upload through a real edge (<see cref="EdgeFixture"/>): only what the coordinator lacks is sent,
/// an interrupted upload resumes where it stopped, and the same data submitted again moves nothing.
/// </summary>
[Collection("cluster")]
public sealed class DatasetUploadTests(EdgeFixture edge) : IClassFixture<EdgeFixture>, IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A csv dataset no other test packs (its rows come from <paramref name="seed"/>), and its spec file.</summary>
    private string WriteDataset(int seed)
    {
        var dir = Directory.CreateDirectory(_files.File($"data-{seed}")).FullName;
        PackedFixtures.WriteCsv(Path.Combine(dir, "train.csv"), 400, seed);
        PackedFixtures.WriteCsv(Path.Combine(dir, "test.csv"), 50, seed + 1000);
        var spec = Path.Combine(dir, "job.yaml");
        File.WriteAllText(spec, "name: uploaded\nmodel: { kind: mlp, hidden: [8] }\n" +
                                "dataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }\n" +
                                "training: { rounds: 1, shards: 1, inner-steps: 2, batch-size: 4 }\n");
        return spec;
    }

    private DatasetUpload Packed(int seed, int targetChunkBytes)
    {
        var spec = WriteDataset(seed);
        var store = new DirectoryChunkStore(_files.File($"packed-{seed}"));
        var packed = DatasetPacker.Pack(JobSpecParser.ParseFile(spec), Path.GetDirectoryName(spec)!, store,
                                        PackedDataSettings.Default, targetChunkBytes);
        return new DatasetUpload(store, packed, quiet: true);
    }

    [Fact]
    public async Task The_same_data_uploaded_again_sends_nothing()
    {
        var upload = Packed(seed: 21, targetChunkBytes: 1000);
        await using var client = CoordinatorClient.Connect(edge.Door, dataDirectory: _files.File("cli"));

        var (firstFailure, first) = await upload.UploadAsync(client, CancellationToken.None);
        var (againFailure, again) = await upload.UploadAsync(client, CancellationToken.None);

        Assert.Null(firstFailure);
        Assert.Null(againFailure);
        Assert.True(first.Blobs > 10, $"{first.Blobs} blobs");
        Assert.Equal((first.Blobs, first.Bytes), (first.BlobsSent, first.BytesSent));
        Assert.Equal((first.Blobs, first.Bytes, 0, 0L), (again.Blobs, again.Bytes, again.BlobsSent, again.BytesSent));
        Assert.All(upload.Packed.Manifest.AllChunks.Select(c => c.Hash).Append(upload.Packed.Digest),
                   h => Assert.True(edge.Coordinator.Store.Contains(h)));
    }

    [Fact]
    public async Task An_interrupted_upload_resumes_from_what_the_coordinator_holds()
    {
        var upload = Packed(seed: 22, targetChunkBytes: 1000);
        var store = new DirectoryChunkStore(_files.File("packed-22"));
        var chunks = upload.Packed.Manifest.AllChunks.DistinctBy(c => c.Hash).ToList();
        await using var client = CoordinatorClient.Connect(edge.Door, dataDirectory: _files.File("cli"));
        // Before the interruption: two chunks whole, and 100 bytes of a third.
        foreach (var c in chunks.Take(2)) Assert.Null(await client.UploadBlobFrom(store.PathOf(c.Hash), c.Hash, 0));
        var cut = chunks[2];
        var bytes = File.ReadAllBytes(store.PathOf(cut.Hash));
        var signed = edge.Sign(edge.Payer, "UploadBlob", new V1.BlobUpload { Hash = WorkerWire.Bytes(cut.Hash), Size = bytes.Length });
        signed.Add("gensyn-blob-hash", cut.Hash.ToString());
        signed.Add("gensyn-blob-size", bytes.Length.ToString(CultureInfo.InvariantCulture));
        using (var call = edge.Requesters.UploadBlob(signed, DateTime.UtcNow + TimeSpan.FromSeconds(30)))
        {
            await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes, 0, 100) });
            await call.RequestStream.CompleteAsync();
            await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        }

        var (failure, resumed) = await upload.UploadAsync(client, CancellationToken.None);

        Assert.Null(failure);
        Assert.Equal(resumed.Bytes - chunks[0].Bytes - chunks[1].Bytes - 100, resumed.BytesSent);
        Assert.Equal(resumed.Blobs - 2, resumed.BlobsSent);
        Assert.True(edge.Coordinator.Store.Contains(cut.Hash));
        Assert.True(edge.Coordinator.Store.Contains(upload.Packed.Digest));
    }

    [Fact]
    public void Submit_packs_and_uploads_the_files_and_the_same_data_submitted_again_uploads_nothing()
    {
        var spec = WriteDataset(seed: 23);
        var requester = _files.File("requester");

        var first = GensynProcess.Run(requester, "submit", spec, "--coordinator", edge.Door, "--yes");
        var again = GensynProcess.Run(requester, "submit", spec, "--coordinator", edge.Door, "--yes");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Matches(@"uploaded (\d+) of \1 blobs", first.Stderr);
        Assert.Contains("uploaded 0 of ", again.Stderr);
        Assert.Contains("(0 MB); the coordinator held the rest", again.Stderr);
        var manifest = System.Text.RegularExpressions.Regex.Match(first.Stderr, "manifest sha256:([0-9a-f]{64})").Groups[1].Value;
        Assert.True(edge.Coordinator.Store.Contains(Sha256Digest.Parse(manifest)));
        Assert.True(Directory.Exists(Path.Combine(requester, SpecDataset.PackedFolder)));
        Assert.NotEqual(first.Stdout.Trim(), again.Stdout.Trim());   // two jobs, one dataset
    }

    [Fact]
    public void Submit_of_an_mnist_job_to_a_coordinator_without_mnist_fails_in_one_line_before_anything_else()
    {
        var spec = _files.File("mnist.yaml");
        File.WriteAllText(spec, "name: digits\nmodel: { kind: mlp, hidden: [8] }\ndataset: { name: mnist }\n");

        var result = GensynProcess.Run(_files.File("mnist-requester"), "submit", spec, "--coordinator", edge.Door, "--yes");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("dataset: this coordinator has no MNIST installed", result.Stderr);
        Assert.Empty(result.Stdout.Trim());
    }
}

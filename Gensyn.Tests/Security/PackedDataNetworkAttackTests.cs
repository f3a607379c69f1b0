using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Edge.Client;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Training;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// A worker reads a packed dataset's chunks from the network, where a coordinator (or whatever answers for one) may
/// send anything. Bytes that are not the chunk are fetched again a bounded number of times and never trained on or
/// cached; a chunk nobody serves, or only ever serves wrong, fails with one line naming the chunk and the dataset; a
/// reply longer than the chunk is refused without reading the rest.
/// </summary>
// Bit-exact against runs in this process: alone, after the parallel tests (a thread count set meanwhile changes
// a cnn's results on some CPUs).
[Collection(Gensyn.Tests.Verification.TorchThreadCountCollection.Name)]
public sealed class PackedDataNetworkAttackTests : IDisposable
{
    private static readonly PackedDataSettings Settings = PackedDataSettings.Default;
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _worker = new();
    private readonly DirectoryChunkStore _served;
    private readonly JobSpec _fileSpec;
    private readonly JobSpec _spec;
    private readonly PackedResult _packed;
    private readonly ServingLink _link;

    public PackedDataNetworkAttackTests()
    {
        _served = new DirectoryChunkStore(_files.File("served"));
        _fileSpec = PackedFixtures.Csv(_files.Path);
        _packed = DatasetPacker.Pack(_fileSpec, _files.Path, _served, Settings, 100);
        _spec = PackedFixtures.Packed(_fileSpec, _packed.Digest);
        _link = new ServingLink(_served);
    }

    public void Dispose()
    {
        _files.Dispose();
        _worker.Dispose();
    }

    /// <summary>The worker's data, as <see cref="WorkerCompute"/> builds it: the link behind DATA_DIR/cache.</summary>
    private DataSource WorkerData() => new(_worker.Path,
        PackedSource.Cached(_worker.Path, Settings, new LinkChunkSource(_link, () => CancellationToken.None)));

    private static byte[] Flipped(byte[] honest)
    {
        var forged = (byte[])honest.Clone();
        forged[^1] ^= 0xff;
        return forged;
    }

    private string[] CachedFiles() => Directory.GetFiles(ChunkCache.DirectoryOf(_worker.Path));

    [Fact]
    public void Chunks_served_wrong_once_are_fetched_again_and_the_job_trains_as_on_the_honest_data()
    {
        var chunks = _packed.Manifest.AllChunks.Select(c => c.Hash).ToHashSet();
        _link.Serve = (hash, honest, asked) => chunks.Contains(hash) && asked == 1 ? Flipped(honest!) : honest;
        var honestRun = LocalJobRunner.Run(_fileSpec, _files.Path);

        using var data = DatasetLoader.Load(_spec, WorkerData());
        var run = LocalJobRunner.Run(_spec, data);

        Assert.Equal(honestRun.FinalDigest, run.FinalDigest);
        Assert.Equal(honestRun.Test, run.Test);
        var fetched = chunks.Where(h => _link.Asked(h) > 0).ToList();
        Assert.NotEmpty(fetched);
        Assert.All(fetched, h => Assert.Equal(2, _link.Asked(h)));
        // Only honest bytes reached the cache: every file there hashes to its name.
        Assert.All(CachedFiles(),
            f => Assert.Equal(Path.GetFileName(f), Sha256Digest.Of(File.ReadAllBytes(f)).ToString()));
        Assert.Equal(fetched.Count + 1, CachedFiles().Length); // the chunks and the manifest
    }

    [Fact]
    public void A_chunk_always_served_wrong_is_refused_in_one_line_naming_it_and_the_dataset_and_never_cached()
    {
        var chunk = _packed.Manifest.Train.Chunks[0];
        _link.Serve = (hash, honest, _) => hash == chunk.Hash ? Flipped(honest!) : honest;
        using var data = DatasetLoader.Load(_spec, WorkerData());

        var e = Assert.Throws<PackedDataException>(() => data.Train.Batch([0]));

        Assert.Contains($"dataset {_packed.Digest}", e.Message);
        Assert.Contains($"chunk {chunk.Hash} refused after {Settings.FetchAttempts} fetch(es)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(Settings.FetchAttempts, _link.Asked(chunk.Hash));
        Assert.DoesNotContain(CachedFiles(), f => Path.GetFileName(f) == chunk.Hash.ToString());
    }

    [Fact]
    public void A_chunk_nobody_serves_fails_in_one_line_naming_it_and_the_dataset()
    {
        var chunk = _packed.Manifest.Train.Chunks[1];
        _link.Serve = (hash, honest, _) => hash == chunk.Hash ? null : honest;
        using var data = DatasetLoader.Load(_spec, WorkerData());
        var example = (long)_packed.Manifest.Train.ExamplesPerChunk; // the first example of chunk 1

        var e = Assert.Throws<PackedDataException>(() => data.Train.Batch([example]));

        Assert.Contains($"dataset {_packed.Digest}: chunk {chunk.Hash}: no source has it", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_chunk_served_longer_than_its_manifest_says_is_refused()
    {
        var chunk = _packed.Manifest.Train.Chunks[0];
        _link.Serve = (hash, honest, _) => hash == chunk.Hash ? [.. honest!, .. new byte[4096]] : honest;
        using var data = DatasetLoader.Load(_spec, WorkerData());

        var e = Assert.Throws<PackedDataException>(() => data.Train.Batch([0]));

        Assert.Contains($"over the {chunk.Bytes:N0} bytes announced", e.Message);
        Assert.Contains($"dataset {_packed.Digest}", e.Message);
        Assert.DoesNotContain(CachedFiles(), f => Path.GetFileName(f) == chunk.Hash.ToString());
    }

    /// <summary>A FetchBlob reply of <paramref name="parts"/> parts of 1 KiB, counting the parts read.</summary>
    private sealed class Parts(int parts) : IAsyncStreamReader<V1.BlobChunk>
    {
        public int Read { get; private set; }
        public V1.BlobChunk Current { get; private set; } = new();

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (Read == parts) return Task.FromResult(false);
            Read++;
            Current = new V1.BlobChunk { Data = Google.Protobuf.ByteString.CopyFrom(new byte[1024]) };
            return Task.FromResult(true);
        }
    }

    [Fact]
    public async Task A_reply_longer_than_the_chunk_announced_is_refused_without_reading_the_rest()
    {
        var reply = new Parts(1000); // 1000 KiB offered for a chunk announced at 2 KiB
        var hash = Sha256Digest.Of(new byte[2048]);

        var e = await Assert.ThrowsAsync<BlobException>(() =>
            BlobDownload.ReadAsync(reply, hash, 2048, "refused: over the 2,048 bytes announced", CancellationToken.None));

        Assert.Contains("over the 2,048 bytes announced", e.Message);
        Assert.Equal(3, reply.Read); // two parts fit; the third went past the limit and ended the read
    }
}

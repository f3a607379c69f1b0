using System.Security.Cryptography;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Client;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// Hostile blob streams against the pipelined transfers (chunks taken off the wire ahead of the hash and the disk): a
/// stream that ends early, one that sends more than it announced, bytes that do not hash to their name, and a sender
/// whose announced size lies. None of them may leave a blob that a reader sees, and every refusal says what happened.
/// The chunks here are small (4 KiB, 2 in flight) so that each stream has chunks queued while the disk works.
/// </summary>
public sealed class BlobStreamAttackTests : IDisposable
{
    private static readonly BlobSettings Small = BlobSettings.Default with { ChunkBytes = 4096, ChunksInFlight = 2 };
    private readonly string _dir = Directory.CreateTempSubdirectory("gensyn-blob-attacks-").FullName;
    private readonly BlobStore _store;
    private readonly UploadQuota _quota;

    public BlobStreamAttackTests()
    {
        _store = new BlobStore(Path.Combine(_dir, "blobs"));
        _quota = new UploadQuota(_store, 1L << 30);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A stream of the given parts, then its end (or <paramref name="breakWith"/>), counting the parts
    /// read.</summary>
    private sealed class Parts(IEnumerable<byte[]> parts, Exception? breakWith = null)
        : IAsyncStreamReader<V1.BlobChunk>
    {
        private readonly IEnumerator<byte[]> _parts = parts.GetEnumerator();

        public int Read { get; private set; }
        public V1.BlobChunk Current { get; private set; } = new();

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!_parts.MoveNext())
                return breakWith is null ? Task.FromResult(false) : Task.FromException<bool>(breakWith);
            Read++;
            Current = new V1.BlobChunk { Data = ByteString.CopyFrom(_parts.Current) };
            return Task.FromResult(true);
        }
    }

    private static IEnumerable<byte[]> Chunks(byte[] bytes, int size = 4096) => bytes.Chunk(size);

    private Task Upload(string who, Sha256Digest hash, long size, long offset,
        IAsyncStreamReader<V1.BlobChunk> parts) =>
        BlobStreams.ReceiveAsync(_store, _quota, who, hash, size, offset, 1L << 30, TimeSpan.FromSeconds(30), parts,
            CancellationToken.None, Small);

    [Fact]
    public async Task An_upload_that_ends_early_leaves_no_blob_visible_and_resumes_from_the_bytes_held()
    {
        var bytes = RandomNumberGenerator.GetBytes(20 * 4096);
        var hash = Sha256Digest.Of(bytes);

        var cut = await Assert.ThrowsAsync<RpcException>(() =>
            Upload("0xaaaa", hash, bytes.Length, 0, new Parts(Chunks(bytes[..(7 * 4096)]))));

        Assert.Equal(StatusCode.InvalidArgument, cut.StatusCode);
        Assert.Contains($"28,672 of blob {hash}'s announced 81,920 bytes arrived; resume the upload",
            cut.Status.Detail);
        Assert.False(_store.Contains(hash));
        Assert.Equal(7 * 4096, BlobStreams.Received(_store, hash));

        await Upload("0xaaaa", hash, bytes.Length, 7 * 4096, new Parts(Chunks(bytes[(7 * 4096)..])));
        Assert.Equal(bytes, File.ReadAllBytes(_store.PathOf(hash)));
        Assert.False(File.Exists(BlobStreams.PartialPath(_store, hash)));
    }

    [Fact]
    public async Task An_upload_past_its_announced_size_is_refused_at_the_first_chunk_too_many_and_stays_invisible()
    {
        var bytes = RandomNumberGenerator.GetBytes(64 * 4096);
        var announced = 10 * 4096;
        var hash = Sha256Digest.Of(bytes[..announced]);
        var parts = new Parts(Chunks(bytes));

        var refused = await Assert.ThrowsAsync<RpcException>(() => Upload("0xbbbb", hash, announced, 0, parts));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("more than the announced 40,960 bytes", refused.Status.Detail);
        Assert.Equal(11, parts.Read); // the eleventh chunk went past the announced size: nothing after it was read
        Assert.False(_store.Contains(hash));
        Assert.True(BlobStreams.Received(_store, hash) <= announced);
    }

    [Fact]
    public async Task A_poisoned_upload_is_refused_its_partial_file_deleted_and_its_quota_released()
    {
        var honest = RandomNumberGenerator.GetBytes(12 * 4096);
        var hash = Sha256Digest.Of(honest);
        var poisoned = (byte[])honest.Clone();
        poisoned[^1] ^= 1;

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Upload("0xcccc", hash, poisoned.Length, 0, new Parts(Chunks(poisoned))));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains($"blob {hash} refused: the bytes received hash to {Sha256Digest.Of(poisoned)}",
            refused.Status.Detail);
        Assert.False(_store.Contains(hash));
        Assert.False(File.Exists(BlobStreams.PartialPath(_store, hash)));
        Assert.Equal(0, _quota.Used("0xcccc"));

        // The honest bytes still get in under that name.
        await Upload("0xdddd", hash, honest.Length, 0, new Parts(Chunks(honest)));
        Assert.Equal(honest, File.ReadAllBytes(_store.PathOf(hash)));
    }

    [Fact]
    public async Task A_download_shorter_than_the_size_its_edge_announced_is_refused()
    {
        var bytes = RandomNumberGenerator.GetBytes(8192);
        var hash = Sha256Digest.Of(bytes);

        var e = await Assert.ThrowsAsync<BlobException>(() => BlobDownload.ReadAsync(
            new Parts(Chunks(bytes[..4096])), hash, 1 << 20,
            "larger than any blob may be", CancellationToken.None, announced: bytes.Length));

        Assert.Contains($"blob {hash} refused: 4,096 of its announced 8,192 bytes arrived", e.Message);
    }

    [Fact]
    public async Task A_download_longer_than_the_size_its_edge_announced_is_refused_without_reading_the_rest()
    {
        var parts = new Parts(Enumerable.Range(0, 1000).Select(_ => new byte[1024]));
        var hash = Sha256Digest.Of(new byte[2048]);

        var e = await Assert.ThrowsAsync<BlobException>(() => BlobDownload.ReadAsync(parts, hash, 1 << 30,
            "larger than any blob may be", CancellationToken.None, announced: 2048));

        Assert.Contains("refused: longer than the 2,048 bytes announced", e.Message);
        Assert.Equal(3, parts.Read);
    }

    [Fact]
    public async Task A_download_announced_larger_than_the_reader_allows_is_refused_before_a_byte_is_read()
    {
        var parts = new Parts(Enumerable.Range(0, 10).Select(_ => new byte[1024]));

        var e = await Assert.ThrowsAsync<BlobException>(() => BlobDownload.ReadAsync(parts, Sha256Digest.Of([1]), 2048,
            "refused: over the 2,048 bytes announced", CancellationToken.None, announced: 1L << 40));

        Assert.Contains("refused: over the 2,048 bytes announced (announced at 1,099,511,627,776 bytes)", e.Message);
        Assert.Equal(0, parts.Read);
    }

    [Fact]
    public async Task A_download_to_a_file_with_the_wrong_bytes_or_a_broken_stream_leaves_no_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(16 * 4096);
        var hash = Sha256Digest.Of(bytes);
        var path = Path.Combine(_dir, "state.bin");
        var poisoned = (byte[])bytes.Clone();
        poisoned[0] ^= 1;

        var wrong = await Assert.ThrowsAsync<BlobException>(() => BlobDownload.ReadToFileAsync(
            new Parts(Chunks(poisoned)), hash, path,
            1 << 20, "too large", inFlight: 2, CancellationToken.None));
        Assert.Contains($"blob {hash} refused: the bytes received hash to", wrong.Message);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));

        await Assert.ThrowsAsync<IOException>(() => BlobDownload.ReadToFileAsync(
            new Parts(Chunks(bytes[..(5 * 4096)]), new IOException("connection reset")), hash, path, 1 << 20,
            "too large", 2, CancellationToken.None));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));

        Assert.Equal(bytes.Length, await BlobDownload.ReadToFileAsync(new Parts(Chunks(bytes)), hash, path,
            1 << 20, "too large", 2,
            CancellationToken.None));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }
}

using System.Threading.Channels;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Edge.Blobs;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// Two honest workers that computed the same state (replicated mode, or two answers to challenges on the same
/// round) upload the same blob at the same time. The second upload must not fail because the first holds the blob's
/// partial file: it waits for the first and then finds the blob stored. (It failed with an IOException from the
/// partial file, the worker's challenge answer was lost, and the honest worker was rejected as unavailable.)
/// </summary>
public sealed class ConcurrentUploadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gensyn-uploads-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A request stream whose chunks the test feeds one at a time.</summary>
    private sealed class Feed : IAsyncStreamReader<V1.BlobChunk>
    {
        private readonly Channel<V1.BlobChunk> _chunks = Channel.CreateUnbounded<V1.BlobChunk>();

        public V1.BlobChunk Current { get; private set; } = null!;

        public void Send(byte[] bytes) => _chunks.Writer.TryWrite(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes) });

        public void End() => _chunks.Writer.Complete();

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken)) return false;
            Current = await _chunks.Reader.ReadAsync(cancellationToken);
            return true;
        }
    }

    [Fact]
    public async Task A_second_upload_of_a_blob_being_uploaded_waits_for_the_first_and_succeeds()
    {
        var store = new BlobStore(Path.Combine(_dir, "blobs"));
        var quota = new UploadQuota(store, 1L << 30);
        var bytes = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        var hash = Sha256Digest.Of(bytes);
        Task Receive(string who, Feed feed) => BlobStreams.ReceiveAsync(store, quota, who, hash, bytes.Length, 0,
            1L << 30, TimeSpan.FromSeconds(30), feed, CancellationToken.None);

        var first = new Feed();
        first.Send(bytes[..1000]);
        var firstUpload = Receive("0xaaaa", first);
        // Up to its first wait for a chunk the upload runs synchronously: it holds the partial file by now.
        await WaitUntil(() => File.Exists(BlobStreams.PartialPath(store, hash)));
        Assert.False(firstUpload.IsCompleted);

        var second = new Feed();
        second.Send(bytes);
        second.End();
        // Without the gate, the second fails on the partial file before its first await.
        var secondUpload = Receive("0xbbbb", second);
        Assert.False(secondUpload.IsFaulted, secondUpload.Exception?.GetBaseException().Message);

        first.Send(bytes[1000..]);
        first.End();
        await firstUpload;
        await secondUpload;
        Assert.True(store.Contains(hash));
        Assert.Equal(bytes, File.ReadAllBytes(store.PathOf(hash)));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition(), "the first upload never started its partial file");
    }
}

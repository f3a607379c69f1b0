using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Blobs;

/// <summary>
/// Blobs through the edge as gRPC streams of chunks (<c>gensyn.blobs.chunk-size</c>), straight from and to files and pipelined
/// (<see cref="ChunkPipe"/>: up to <c>gensyn.blobs.chunks-in-flight</c> chunks read ahead of the wire, or received ahead of the disk):
/// memory stays flat whatever a blob's size. Downloads resume from an offset; uploads are written to a partial file (resumable from its
/// length) and hashed as they arrive, and enter the store only when their bytes hash to the name they were announced under.
/// </summary>
public static class BlobStreams
{
    /// <summary>The default chunk size (<see cref="BlobSettings.ChunkBytes"/>).</summary>
    public const int ChunkBytes = BlobSettings.DefaultChunkBytes;

    /// <summary>The largest blob a worker sends (its own check before uploading); the edge enforces <c>gensyn.edge.limits.max-upload</c>.</summary>
    public const long MaxUploadBytes = 8L << 30;

    /// <summary>Streams <paramref name="path"/> from <paramref name="offset"/> on, reading ahead of the wire.</summary>
    public static async Task SendFileAsync(string path, long offset, IAsyncStreamWriter<V1.BlobChunk> output, CancellationToken cancel,
        BlobSettings? settings = null)
    {
        var s = settings ?? BlobSettings.Default;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (offset < 0 || offset > file.Length)
            throw new RpcException(new Status(StatusCode.OutOfRange, $"offset {offset:N0} is outside the blob's {file.Length:N0} bytes"));
        file.Position = offset;
        await SendAsync(file, output, s, cancel);
    }

    /// <summary>Streams <paramref name="source"/> to its end as chunks, reading ahead of the wire.</summary>
    public static Task SendAsync(Stream source, IAsyncStreamWriter<V1.BlobChunk> output, BlobSettings settings, CancellationToken cancel) =>
        // The chunk's buffer is reused once the write completes: by then gRPC has serialized it, so it is wrapped, not copied.
        ChunkPipe.SendAsync(source, settings.ChunkBytes, settings.ChunksInFlight, (chunk, stop) =>
            output.WriteAsync(new V1.BlobChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) }, stop), cancel);

    public static string PartialPath(BlobStore store, Sha256Digest hash) => Path.Combine(store.Directory, BlobStore.PartialDirectory, hash + ".part");

    /// <summary>Bytes of an interrupted upload of <paramref name="hash"/> already held (0 when none).</summary>
    public static long Received(BlobStore store, Sha256Digest hash) => File.Exists(PartialPath(store, hash)) ? new FileInfo(PartialPath(store, hash)).Length : 0;

    /// <summary>
    /// Receives an upload by <paramref name="uploader"/> of <paramref name="size"/> bytes named <paramref name="hash"/>, continuing a partial
    /// one at <paramref name="offset"/>. Refuses a size above <paramref name="maxBytes"/> or past the uploader's quota before a byte is
    /// written, a byte beyond the announced size as soon as it arrives, an offset that is not what the edge holds, a stream that sends
    /// nothing for <paramref name="idle"/>, and bytes that do not hash to the name.
    /// </summary>
    public static async Task ReceiveAsync(BlobStore store, UploadQuota quota, string uploader, Sha256Digest hash, long size, long offset, long maxBytes,
        TimeSpan idle, IAsyncStreamReader<V1.BlobChunk> input, CancellationToken cancel, BlobSettings? settings = null)
    {
        if (size < 0 || size > maxBytes) throw Invalid($"a blob is 0 to {maxBytes:N0} bytes, announced {size:N0}");
        if (store.Contains(hash)) return;
        // Another upload of the same blob holds its partial file: wait for it, then it may have stored the blob.
        using var gate = await UploadGate.EnterAsync(hash, idle, cancel);
        if (store.Contains(hash)) return;
        quota.Reserve(uploader, hash, size);
        var partial = PartialPath(store, hash);
        var held = Received(store, hash);
        if (offset != held) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the edge holds {held:N0} bytes of blob {hash}; resume from there"));
        var s = settings ?? BlobSettings.Default;
        Sha256Digest actual;
        await using (var file = await HashingFile.ResumeAsync(partial, offset, cancel))
        {
            var written = offset;
            // The wire is read here, each chunk checked as it arrives; the file's hash and writes run beside it.
            await ChunkPipe.ReceiveAsync(s.ChunksInFlight, async stop =>
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop);
                quiet.CancelAfter(idle);
                bool more;
                try
                {
                    more = await input.MoveNext(quiet.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                        $"no bytes of blob {hash} for {idle.TotalSeconds:0} s; resume the upload from offset {written:N0} " +
                        "(a partial upload idle that long is deleted)"));
                }
                if (!more) return null;
                var data = input.Current.Data;
                if (written + data.Length > size) throw Invalid($"more than the announced {size:N0} bytes of blob {hash} arrived");
                written += data.Length;
                return data.Memory;
            }, file.AppendAsync, cancel);
            if (written != size) throw Invalid($"{written:N0} of blob {hash}'s announced {size:N0} bytes arrived; resume the upload");
            actual = file.Digest();
        }
        if (actual != hash)
        {
            File.Delete(partial);
            quota.Release(uploader, hash);
            throw Invalid($"blob {hash} refused: the bytes received hash to {actual}");
        }
        store.Adopt(hash, partial);
    }

    private static RpcException Invalid(string why) => new(new Status(StatusCode.InvalidArgument, why));
}

using System.Security.Cryptography;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Blobs;

/// <summary>
/// Blobs through the edge as gRPC streams of <see cref="ChunkBytes"/> chunks, straight from and to files: memory stays flat whatever a blob's
/// size. Downloads resume from an offset; uploads are written to a partial file (resumable from its length) and hashed as they arrive, and
/// enter the store only when their bytes hash to the name they were announced under.
/// </summary>
public static class BlobStreams
{
    public const int ChunkBytes = 256 * 1024;

    /// <summary>The largest blob a worker sends (its own check before uploading); the edge enforces <c>gensyn.edge.limits.max-upload</c>.</summary>
    public const long MaxUploadBytes = 8L << 30;

    /// <summary>Streams <paramref name="path"/> from <paramref name="offset"/> on.</summary>
    public static async Task SendFileAsync(string path, long offset, IAsyncStreamWriter<V1.BlobChunk> output, CancellationToken cancel)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (offset < 0 || offset > file.Length) throw new RpcException(new Status(StatusCode.OutOfRange, $"offset {offset:N0} is outside the blob's {file.Length:N0} bytes"));
        file.Position = offset;
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await file.ReadAsync(buffer, cancel)) > 0)
            await output.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, cancel);
    }

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
        TimeSpan idle, IAsyncStreamReader<V1.BlobChunk> input, CancellationToken cancel)
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
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            // A resumed upload: hash what is already held, a chunk at a time.
            var buffer = new byte[ChunkBytes];
            int read;
            while (file.Position < offset && (read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, offset - file.Position)), cancel)) > 0)
                sha.AppendData(buffer, 0, read);
            var written = offset;
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            while (true)
            {
                quiet.CancelAfter(idle);
                bool more;
                try
                {
                    more = await input.MoveNext(quiet.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                        $"no bytes of blob {hash} for {idle.TotalSeconds:0} s; resume the upload from offset {written:N0} (a partial upload idle that long is deleted)"));
                }
                if (!more) break;
                var data = input.Current.Data;
                if (written + data.Length > size) throw Invalid($"more than the announced {size:N0} bytes of blob {hash} arrived");
                sha.AppendData(data.Span);
                await file.WriteAsync(data.Memory, cancel);
                written += data.Length;
            }
            if (written != size) throw Invalid($"{written:N0} of blob {hash}'s announced {size:N0} bytes arrived; resume the upload");
        }
        var actual = Sha256Digest.FromBytes(sha.GetHashAndReset());
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

using System.Security.Cryptography;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Blobs;

/// <summary>
/// Blobs through the edge as gRPC streams of <see cref="ChunkBytes"/> chunks, straight from and to files: memory stays flat whatever a blob's
/// size. Downloads resume from an offset; uploads are written to a partial file (resumable from its length), hashed, and enter the store only
/// when their bytes hash to the name they were announced under.
/// </summary>
public static class BlobStreams
{
    public const int ChunkBytes = 256 * 1024;

    /// <summary>The largest blob anyone may upload through the edge.</summary>
    public const long MaxUploadBytes = 8L << 30;

    /// <summary>Streams <paramref name="path"/> from <paramref name="offset"/> on.</summary>
    public static async Task SendFileAsync(string path, long offset, IAsyncStreamWriter<V1.BlobChunk> output, CancellationToken cancel)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (offset < 0 || offset > file.Length) throw new RpcException(new Status(StatusCode.OutOfRange, $"offset {offset:N0} is outside the blob's {file.Length:N0} bytes"));
        file.Position = offset;
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await file.ReadAsync(buffer, cancel)) > 0)
            await output.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, cancel);
    }

    public static string PartialPath(BlobStore store, Sha256Digest hash) => Path.Combine(store.Directory, "partial", hash + ".part");

    /// <summary>Bytes of an interrupted upload of <paramref name="hash"/> already held (0 when none).</summary>
    public static long Received(BlobStore store, Sha256Digest hash) => File.Exists(PartialPath(store, hash)) ? new FileInfo(PartialPath(store, hash)).Length : 0;

    /// <summary>
    /// Receives an upload of <paramref name="size"/> bytes named <paramref name="hash"/>, continuing a partial one at <paramref name="offset"/>;
    /// refuses more bytes than announced, an offset that is not what the edge holds, and bytes that do not hash to the name.
    /// </summary>
    public static async Task ReceiveAsync(BlobStore store, Sha256Digest hash, long size, long offset, IAsyncStreamReader<V1.BlobChunk> input, CancellationToken cancel)
    {
        if (size < 0 || size > MaxUploadBytes) throw Invalid($"a blob is 0 to {MaxUploadBytes:N0} bytes, announced {size:N0}");
        if (store.Contains(hash)) return;
        var partial = PartialPath(store, hash);
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        var held = Received(store, hash);
        if (offset != held) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the edge holds {held:N0} bytes of blob {hash}; resume from there"));
        await using (var file = new FileStream(partial, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            var written = offset;
            while (await input.MoveNext(cancel))
            {
                var data = input.Current.Data;
                if (written + data.Length > size) throw Invalid($"more than the announced {size:N0} bytes of blob {hash} arrived");
                await file.WriteAsync(data.Memory, cancel);
                written += data.Length;
            }
            if (written != size) throw Invalid($"{written:N0} of blob {hash}'s announced {size:N0} bytes arrived; resume the upload");
        }
        Sha256Digest actual;
        await using (var check = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            actual = Sha256Digest.FromBytes(await SHA256.HashDataAsync(check, cancel));
        if (actual != hash)
        {
            File.Delete(partial);
            throw Invalid($"blob {hash} refused: the bytes received hash to {actual}");
        }
        var path = store.PathOf(hash);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(partial, path, overwrite: true);
    }

    private static RpcException Invalid(string why) => new(new Status(StatusCode.InvalidArgument, why));
}

using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Client;

/// <summary>
/// A blob received from the edge's FetchBlob stream, read only as far as it may be long: into memory (the bytes a
/// caller needs whole) or into a file (hashed while written, never held whole). The wire is read ahead of the hash
/// (<see cref="ChunkPipe"/>), each part checked against the limit as it arrives.
/// </summary>
public static class BlobDownload
{
    /// <summary>
    /// The bytes <paramref name="parts"/> carry, hash checked. The first part that takes them past
    /// <paramref name="maxBytes"/> ends the read: the blob is refused (<paramref name="tooLarge"/>) without the rest.
    /// Where the edge announced the blob's size (<paramref name="announced"/>), the bytes go straight into an array of
    /// that size, and a reply that is longer or shorter is refused.
    /// </summary>
    /// <exception cref="BlobException">Longer than allowed or than announced, shorter than announced, or not the
    /// bytes <paramref name="hash"/> names.</exception>
    public static async Task<byte[]> ReadAsync(IAsyncStreamReader<V1.BlobChunk> parts, Sha256Digest hash,
                                               long maxBytes, string tooLarge, CancellationToken cancel,
                                               long? announced = null,
                                               int inFlight = BlobSettings.DefaultChunksInFlight)
    {
        if (announced is { } size && (size < 0 || size > Math.Min(maxBytes, Array.MaxLength)))
            throw new BlobException($"blob {hash} {tooLarge} (announced at {size:N0} bytes)");
        var limit = announced ?? maxBytes;
        using var growing = announced is null ? new MemoryStream() : null;
        var exact = announced is { } n ? new byte[n] : null;
        var filled = 0L;
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(
            System.Security.Cryptography.HashAlgorithmName.SHA256);
        var overLimit = announced is null ? tooLarge : $"refused: longer than the {limit:N0} bytes announced";
        await Receive(parts, hash, limit, overLimit, inFlight, (chunk, _) =>
            {
                sha.AppendData(chunk.Span);
                if (exact is not null) chunk.Span.CopyTo(exact.AsSpan((int)filled));
                else growing!.Write(chunk.Span);
                filled += chunk.Length;
                return ValueTask.CompletedTask;
            }, cancel);
        if (announced is { } expected && filled != expected)
            throw new BlobException($"blob {hash} refused: {filled:N0} of its announced {expected:N0} bytes arrived");
        var actual = Sha256Digest.FromBytes(sha.GetHashAndReset());
        return actual == hash
            ? exact ?? growing!.ToArray()
            : throw new BlobException($"blob {hash} refused: the bytes received hash to {actual}");
    }

    /// <summary> Receives the blob <paramref name="parts"/> carry into <paramref name="path"/>, hashing it on the way:
    /// the bytes go to <c>PATH.part</c>, which becomes <paramref name="path"/> only once they hash to <paramref
    /// name="hash"/>; a refused or broken download leaves no file at either path. Returns the blob's size. </summary>
    /// <exception cref="BlobException">Longer than <paramref name="maxBytes"/>, or not the bytes <paramref
    /// name="hash"/> names.</exception>
    public static async Task<long> ReadToFileAsync(IAsyncStreamReader<V1.BlobChunk> parts, Sha256Digest hash,
                                                   string path, long maxBytes, string tooLarge, int inFlight,
                                                   CancellationToken cancel)
    {
        var temp = path + ".part";
        File.Delete(temp);
        try
        {
            Sha256Digest actual;
            long size;
            await using (var file = HashingFile.Create(temp))
            {
                await Receive(parts, hash, maxBytes, tooLarge, inFlight, file.AppendAsync, cancel);
                (actual, size) = (file.Digest(), file.Written);
            }
            if (actual != hash) throw new BlobException($"blob {hash} refused: the bytes received hash to {actual}");
            File.Move(temp, path, overwrite: true);
            return size;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static Task Receive(IAsyncStreamReader<V1.BlobChunk> parts, Sha256Digest hash, long maxBytes,
                                string tooLarge, int inFlight,
                                Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> consume,
                                CancellationToken cancel)
    {
        var received = 0L;
        return ChunkPipe.ReceiveAsync(inFlight, async stop =>
        {
            if (!await parts.MoveNext(stop)) return null;
            var data = parts.Current.Data;
            if (received + data.Length > maxBytes) throw new BlobException($"blob {hash} {tooLarge}");
            received += data.Length;
            return data.Memory;
        }, consume, cancel);
    }
}

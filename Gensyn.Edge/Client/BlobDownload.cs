using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Client;

/// <summary>A blob received from the edge's FetchBlob stream, read only as far as it may be long.</summary>
public static class BlobDownload
{
    /// <summary>
    /// The bytes <paramref name="parts"/> carry, hash checked. The first part that takes them past
    /// <paramref name="maxBytes"/> ends the read: the blob is refused (<paramref name="tooLarge"/>) without the rest.
    /// </summary>
    /// <exception cref="BlobException">Longer than allowed, or not the bytes <paramref name="hash"/> names.</exception>
    public static async Task<byte[]> ReadAsync(IAsyncStreamReader<V1.BlobChunk> parts, Sha256Digest hash,
                                               long maxBytes, string tooLarge, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        while (await parts.MoveNext(cancel))
        {
            var data = parts.Current.Data;
            if (buffer.Length + data.Length > maxBytes) throw new BlobException($"blob {hash} {tooLarge}");
            buffer.Write(data.Span);
        }
        var bytes = buffer.ToArray();
        var actual = Sha256Digest.Of(bytes);
        return actual == hash
            ? bytes
            : throw new BlobException($"blob {hash} refused: the bytes received hash to {actual}");
    }
}

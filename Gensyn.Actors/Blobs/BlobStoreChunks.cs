using Gensyn.Contracts;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// A node's <see cref="BlobStore"/> as a store of packed datasets: chunks and manifests are ordinary blobs under the
/// SHA-256 of their bytes. What a coordinator's own computation and its verifiers read a packed dataset from, and
/// where packing into a coordinator puts it.
/// </summary>
public sealed class BlobStoreChunks(BlobStore store) : IChunkSource, IChunkSink
{
    /// <summary>At most <paramref name="maxBytes"/> + 1 bytes of the blob, or null when the store lacks it; the reader
    /// checks the hash.</summary>
    public byte[]? Read(Sha256Digest hash, long maxBytes)
    {
        FileStream stream;
        try
        {
            stream = store.OpenRead(hash);
        }
        catch (BlobException)
        {
            return null;
        }
        using (stream)
        {
            var bytes = new byte[(int)Math.Min(Math.Min(stream.Length, maxBytes + 1), Array.MaxLength)];
            try
            {
                stream.ReadExactly(bytes);
            }
            catch (EndOfStreamException)
            {
                return null; // shrank while being read: as good as missing
            }
            return bytes;
        }
    }

    public bool Has(Sha256Digest hash) => store.Contains(hash);

    public void Write(Sha256Digest hash, ReadOnlySpan<byte> bytes) => store.Put(hash, bytes.ToArray());
}

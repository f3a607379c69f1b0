using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Actors.Datasets;

/// <summary>A coordinator's blob store as the place a packer writes chunks and the manifest to: each is an ordinary
/// content-addressed blob (its hash checked again as it is stored).</summary>
public sealed class BlobStoreChunkSink(BlobStore store) : IChunkSink
{
    public bool Has(Sha256Digest hash) => store.Contains(hash);

    public void Write(Sha256Digest hash, ReadOnlySpan<byte> bytes) => store.Put(hash, bytes.ToArray());
}

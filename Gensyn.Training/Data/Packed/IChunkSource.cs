using Gensyn.Contracts;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Where a packed dataset's chunks (and its manifest, stored the same way under its digest) come from: a local folder
/// today, the network later. What a source returns is not trusted: every reader checks it against the hash it asked
/// for.
/// </summary>
public interface IChunkSource
{
    /// <summary>
    /// The bytes stored under <paramref name="hash"/>, or null when this source has none. At most
    /// <paramref name="maxBytes"/> + 1 bytes are read, so a source cannot fill memory (one byte more than asked fails
    /// the check).
    /// </summary>
    byte[]? Read(Sha256Digest hash, long maxBytes);
}

/// <summary>Where a packer puts the chunks and the manifest it makes, each under the SHA-256 of its bytes.</summary>
public interface IChunkSink
{
    /// <summary>Whether the bytes named <paramref name="hash"/> are already stored (then the packer writes
    /// nothing).</summary>
    bool Has(Sha256Digest hash);

    /// <summary>Stores <paramref name="bytes"/>, whose SHA-256 is <paramref name="hash"/>.</summary>
    void Write(Sha256Digest hash, ReadOnlySpan<byte> bytes);
}

namespace Gensyn.Contracts.Datasets;

/// <summary>Whether a chunk's bytes are the chunk a manifest names: its length, then its SHA-256.</summary>
public static class ChunkCheck
{
    /// <summary>What is wrong with <paramref name="bytes"/> as <paramref name="chunk"/>, in one line, or
    /// null.</summary>
    public static string? Problem(ChunkRef chunk, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != chunk.Bytes)
            return $"chunk {chunk.Hash} refused: {bytes.Length:N0} bytes, " +
                   $"the manifest says {chunk.Bytes:N0}; fetch it again";
        var actual = Sha256Digest.Of(bytes);
        return actual == chunk.Hash
            ? null
            : $"chunk {chunk.Hash} refused: its bytes hash to {actual}; the copy is corrupt or forged, fetch it again";
    }
}

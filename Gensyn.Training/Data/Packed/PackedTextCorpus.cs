using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>A text split read from packed chunks of corpus bytes: a window that spans two chunks reads both.</summary>
public sealed class PackedTextCorpus(PackedSplit split, ChunkReader chunks) : ITextCorpus
{
    public long Length => split.Examples;

    public void CopyTo(long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + destination.Length, Length);
        while (destination.Length > 0)
        {
            var (index, start) = split.Locate(offset);
            var chunk = split.Chunks[index];
            var bytes = chunks.Get(chunk, checkedBytes => checkedBytes, chunk.Bytes);
            var n = Math.Min(destination.Length, bytes.Length - start);
            bytes.AsSpan(start, n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }
    }
}

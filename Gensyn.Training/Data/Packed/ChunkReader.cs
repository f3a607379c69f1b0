using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Reads a packed split's chunks from a source, checks each against its manifest entry (length and SHA-256) before
/// decoding it, and keeps decoded chunks in memory up to a budget (<c>gensyn.datasets.reader-memory</c>), dropping the
/// least recently used. Safe to use from several threads. Every refusal names the chunk and, when given, the dataset
/// (<paramref name="dataset"/>, its manifest digest).
/// </summary>
public sealed class ChunkReader(IChunkSource source, long memoryBytes, Sha256Digest? dataset = null)
{
    private readonly Dictionary<Sha256Digest, (object Decoded, long Bytes, long LastUse)> _decoded = new();
    private readonly object _gate = new();
    private long _clock;
    private long _held;

    /// <summary>The chunk <paramref name="chunk"/> decoded by <paramref name="decode"/> (which takes checked
    /// bytes).</summary>
    /// <exception cref="PackedDataException">No source has it, or its bytes are not the chunk the manifest
    /// names.</exception>
    public T Get<T>(ChunkRef chunk, Func<byte[], T> decode, long decodedBytes) where T : class
    {
        lock (_gate)
        {
            if (_decoded.TryGetValue(chunk.Hash, out var found))
            {
                _decoded[chunk.Hash] = found with { LastUse = ++_clock };
                return (T)found.Decoded;
            }
            byte[]? bytes;
            try
            {
                bytes = source.Read(chunk.Hash, chunk.Bytes);
            }
            catch (PackedDataException e)
            {
                throw Refused(e.Message);
            }
            if (bytes is null)
                throw Refused($"chunk {chunk.Hash}: no source has it; the dataset is incomplete where it is served " +
                              "from, upload or pack it again");
            if (ChunkCheck.Problem(chunk, bytes) is { } problem) throw Refused(problem);
            var decoded = decode(bytes);
            var held = _decoded.Select(d => new CachedChunk(d.Key, d.Value.Bytes, d.Value.LastUse));
            var plan = CacheEviction.Plan(held, memoryBytes, decodedBytes);
            foreach (var victim in plan.Evict)
            {
                _held -= _decoded[victim].Bytes;
                _decoded.Remove(victim);
            }
            if (plan.Store)
            {
                _decoded[chunk.Hash] = (decoded, decodedBytes, ++_clock);
                _held += decodedBytes;
            }
            return decoded;
        }
    }

    private PackedDataException Refused(string why) =>
        new(dataset is { } d ? $"dataset {d}: {why.ReplaceLineEndings(" ")}" : why.ReplaceLineEndings(" "));

    /// <summary>Bytes of decoded chunks held in memory now.</summary>
    public long HeldBytes
    {
        get
        {
            lock (_gate) return _held;
        }
    }
}

using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// The chunks this machine has fetched, in <c>DATA_DIR/cache</c>, by hash, in front of an upstream source (the network
/// later; any <see cref="IChunkSource"/> now). Every read is checked: a cached file whose bytes do not hash to its name
/// is
/// deleted and fetched again, and upstream bytes that do not hash to what was asked are refused and never stored. The
/// cache holds at most its cap (<c>gensyn.datasets.cache-size</c>), evicting the least recently used
/// (<see cref="CacheEviction"/>).
/// </summary>
public sealed class ChunkCache : IChunkSource
{
    private readonly DirectoryChunkStore _store;
    private readonly IChunkSource _upstream;
    private readonly long _capacityBytes;
    private readonly Dictionary<Sha256Digest, CachedChunk> _entries = new();
    private readonly object _gate = new();
    private long _clock;

    public ChunkCache(string directory, long capacityBytes, IChunkSource upstream)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        _store = new DirectoryChunkStore(directory);
        _upstream = upstream;
        _capacityBytes = capacityBytes;
        // The files' times give the order they were last used in before this start.
        var stored = _store.List().OrderBy(c => c.LastUsedUtc).ThenBy(c => c.Hash.ToString(), StringComparer.Ordinal);
        foreach (var chunk in stored)
            _entries[chunk.Hash] = new CachedChunk(chunk.Hash, chunk.Bytes, ++_clock);
        MakeRoom(0);
    }

    /// <summary>The cache folder of a data directory.</summary>
    public static string DirectoryOf(string dataDirectory) => Path.Combine(dataDirectory, "cache");

    /// <summary>Reads served from the cache, and reads that had to go upstream (a figure for benchmarks).</summary>
    public long Hits { get; private set; }

    public long Misses { get; private set; }

    /// <summary>Bytes the cache holds now.</summary>
    public long CachedBytes
    {
        get
        {
            lock (_gate) return _entries.Values.Sum(e => e.Bytes);
        }
    }

    public bool Contains(Sha256Digest hash)
    {
        lock (_gate) return _entries.ContainsKey(hash);
    }

    /// <exception cref="PackedDataException">The upstream's bytes do not hash to <paramref name="hash"/>.</exception>
    public byte[]? Read(Sha256Digest hash, long maxBytes)
    {
        lock (_gate)
        {
            if (_entries.ContainsKey(hash))
            {
                var cached = _store.Read(hash, maxBytes);
                if (cached is not null && Sha256Digest.Of(cached) == hash)
                {
                    Hits++;
                    _entries[hash] = _entries[hash] with { LastUse = ++_clock };
                    _store.Touch(hash);
                    return cached;
                }
                // Damaged on disk: never used, dropped, fetched again below.
                _entries.Remove(hash);
                _store.Delete(hash);
            }
            Misses++;
            var fetched = _upstream.Read(hash, maxBytes);
            if (fetched is null) return null;
            var actual = Sha256Digest.Of(fetched);
            if (actual != hash)
                throw new PackedDataException(
                    $"chunk {hash} refused: the source sent bytes that " +
                    $"hash to {actual}; it was not stored, fetch it again");
            if (MakeRoom(fetched.Length))
            {
                _store.Write(hash, fetched);
                _entries[hash] = new CachedChunk(hash, fetched.Length, ++_clock);
            }
            return fetched;
        }
    }

    private bool MakeRoom(long incoming)
    {
        var plan = CacheEviction.Plan(_entries.Values, _capacityBytes, incoming);
        foreach (var victim in plan.Evict)
        {
            _entries.Remove(victim);
            _store.Delete(victim);
        }
        return plan.Store;
    }
}

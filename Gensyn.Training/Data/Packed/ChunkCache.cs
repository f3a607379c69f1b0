using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// The chunks this machine has fetched, in <c>DATA_DIR/cache</c>, by hash, in front of an upstream source (a worker's
/// link to the coordinators, or any <see cref="IChunkSource"/>). Every read is checked: a cached file whose bytes do
/// not hash to its name is deleted and fetched again, and upstream bytes that are not what was asked (a wrong hash, or
/// an upstream that refused them) are never stored or returned: they are fetched again, at most
/// <c>gensyn.datasets.fetch-attempts</c> times in all. The cache holds at most its cap
/// (<c>gensyn.datasets.cache-size</c>), evicting the least recently used (<see cref="CacheEviction"/>). Its counters
/// (hits, misses, bytes fetched) are what benchmarks print.
/// </summary>
public sealed class ChunkCache : IChunkSource
{
    private readonly DirectoryChunkStore _store;
    private readonly IChunkSource _upstream;
    private readonly long _capacityBytes;
    private readonly int _fetchAttempts;
    private readonly Dictionary<Sha256Digest, CachedChunk> _entries = new();
    private readonly object _gate = new();
    private long _clock;

    public ChunkCache(string directory, long capacityBytes, IChunkSource upstream, int fetchAttempts = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fetchAttempts);
        _fetchAttempts = fetchAttempts;
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

    /// <summary>Bytes received from upstream, refused ones included: what the data cost the network.</summary>
    public long FetchedBytes { get; private set; }

    /// <summary>Upstream answers refused (bytes that were not the chunk asked for) and fetched again or given up
    /// on.</summary>
    public long Refused { get; private set; }

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
            return Fetch(hash, maxBytes);
        }
    }

    /// <summary>
    /// The upstream's bytes for <paramref name="hash"/>, stored when they fit; bytes that are not the chunk are
    /// refused and fetched again up to the attempts allowed.
    /// </summary>
    private byte[]? Fetch(Sha256Digest hash, long maxBytes)
    {
        var why = "";
        for (var attempt = 1; attempt <= _fetchAttempts; attempt++)
        {
            byte[]? fetched;
            try
            {
                fetched = _upstream.Read(hash, maxBytes);
            }
            catch (PackedDataException e)
            {
                Refused++;
                why = e.Message;
                continue;
            }
            if (fetched is null) return null;
            FetchedBytes += fetched.Length;
            var actual = Sha256Digest.Of(fetched);
            if (actual != hash)
            {
                Refused++;
                why = $"the source sent bytes that hash to {actual}";
                continue;
            }
            if (MakeRoom(fetched.Length))
            {
                _store.Write(hash, fetched);
                _entries[hash] = new CachedChunk(hash, fetched.Length, ++_clock);
            }
            return fetched;
        }
        throw new PackedDataException(
            $"chunk {hash} refused after {_fetchAttempts} fetch(es): {why.TrimEnd('.')}; " +
            "nothing was stored; check the coordinator that serves it");
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

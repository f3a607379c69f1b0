using Gensyn.Contracts;

namespace Gensyn.Training.Data.Packed;

/// <summary>A chunk in the cache as eviction sees it: its size and when it was last used (a logical clock).</summary>
public readonly record struct CachedChunk(Sha256Digest Hash, long Bytes, long LastUse);

/// <summary>What to do to take a chunk of some size in: which chunks to evict, and whether to store it at
/// all.</summary>
public sealed record EvictionPlan(IReadOnlyList<Sha256Digest> Evict, bool Store);

/// <summary>
/// The cache's size rule: least recently used first (ties: the smaller hash), until what stays plus the newcomer fits
/// the
/// cap. A chunk larger than the whole cap is used but not stored, and evicts nothing.
/// </summary>
public static class CacheEviction
{
    public static EvictionPlan Plan(IEnumerable<CachedChunk> cached, long capacityBytes, long incomingBytes)
    {
        if (incomingBytes > capacityBytes) return new EvictionPlan([], Store: false);
        var entries = cached.ToList();
        var used = entries.Sum(c => c.Bytes);
        var evict = new List<Sha256Digest>();
        foreach (var chunk in entries.OrderBy(c => c.LastUse).ThenBy(c => c.Hash.ToString(), StringComparer.Ordinal))
        {
            if (used + incomingBytes <= capacityBytes) break;
            evict.Add(chunk.Hash);
            used -= chunk.Bytes;
        }
        return new EvictionPlan(evict, Store: true);
    }
}

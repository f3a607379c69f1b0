using Gensyn.Contracts;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Data.Packed;

/// <summary>The cache's size rule, as a table: least recently used first, until the newcomer fits.</summary>
public sealed class CacheEvictionTests
{
    private static Sha256Digest H(int n) => Sha256Digest.Of([(byte)n]);

    private static CachedChunk C(int n, long bytes, long lastUse) => new(H(n), bytes, lastUse);

    [Fact]
    public void Nothing_is_evicted_while_the_newcomer_fits()
    {
        var plan = CacheEviction.Plan([C(1, 40, 1), C(2, 40, 2)], capacityBytes: 100, incomingBytes: 20);
        Assert.Empty(plan.Evict);
        Assert.True(plan.Store);
    }

    [Fact]
    public void The_least_recently_used_go_first_until_the_newcomer_fits()
    {
        var plan = CacheEviction.Plan([C(1, 40, 5), C(2, 40, 1), C(3, 40, 3)], capacityBytes: 120, incomingBytes: 70);
        Assert.Equal([H(2), H(3)], plan.Evict);
        Assert.True(plan.Store);
    }

    [Fact]
    public void Chunks_used_at_the_same_time_go_in_hash_order()
    {
        var (a, b) = (C(1, 10, 7), C(2, 10, 7));
        var first = string.CompareOrdinal(a.Hash.ToString(), b.Hash.ToString()) < 0 ? a.Hash : b.Hash;
        Assert.Equal([first], CacheEviction.Plan([b, a], capacityBytes: 20, incomingBytes: 10).Evict);
    }

    [Fact]
    public void A_chunk_larger_than_the_whole_cache_is_not_stored_and_evicts_nothing()
    {
        var plan = CacheEviction.Plan([C(1, 40, 1)], capacityBytes: 100, incomingBytes: 101);
        Assert.Empty(plan.Evict);
        Assert.False(plan.Store);
    }

    [Fact]
    public void A_cache_over_its_cap_is_brought_under_it_with_no_newcomer()
    {
        var plan = CacheEviction.Plan([C(1, 60, 2), C(2, 60, 1)], capacityBytes: 100, incomingBytes: 0);
        Assert.Equal([H(2)], plan.Evict);
    }
}

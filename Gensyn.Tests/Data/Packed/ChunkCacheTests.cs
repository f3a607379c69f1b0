using Gensyn.Contracts;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Data.Packed;

/// <summary>DATA_DIR/cache: read-through by hash, checked on every read, capped with least-recently-used
/// eviction.</summary>
public sealed class ChunkCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly DirectoryChunkStore _upstream;
    private readonly CountingSource _counted;

    public ChunkCacheTests()
    {
        _upstream = new DirectoryChunkStore(_temp.File("upstream"));
        _counted = new CountingSource(_upstream);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A source that counts the reads it serves.</summary>
    private sealed class CountingSource(IChunkSource inner) : IChunkSource
    {
        public int Reads { get; private set; }

        public byte[]? Read(Sha256Digest hash, long maxBytes)
        {
            Reads++;
            return inner.Read(hash, maxBytes);
        }
    }

    private Sha256Digest Upstream(int size, byte fill)
    {
        var bytes = Enumerable.Repeat(fill, size).ToArray();
        var hash = Sha256Digest.Of(bytes);
        _upstream.Write(hash, bytes);
        return hash;
    }

    private ChunkCache Cache(long capacity) => new(ChunkCache.DirectoryOf(_temp.Path), capacity, _counted);

    [Fact]
    public void A_second_read_of_a_chunk_is_served_from_the_cache_without_asking_upstream()
    {
        var hash = Upstream(100, 1);
        var cache = Cache(1000);

        var first = cache.Read(hash, 100);
        var second = cache.Read(hash, 100);

        Assert.Equal(first, second);
        Assert.Equal(1, _counted.Reads);
        Assert.Equal((1, 1), (cache.Hits, cache.Misses));
        Assert.True(File.Exists(Path.Combine(ChunkCache.DirectoryOf(_temp.Path), hash.ToString())));
    }

    [Fact]
    public void A_cached_chunk_damaged_on_disk_is_dropped_and_fetched_again()
    {
        var hash = Upstream(100, 2);
        var cache = Cache(1000);
        cache.Read(hash, 100);
        var cached = Path.Combine(ChunkCache.DirectoryOf(_temp.Path), hash.ToString());
        var bytes = File.ReadAllBytes(cached);
        bytes[10] ^= 0xFF;
        File.WriteAllBytes(cached, bytes);

        var read = cache.Read(hash, 100)!;

        Assert.Equal(hash, Sha256Digest.Of(read));
        Assert.Equal(2, _counted.Reads);
        Assert.Equal(hash, Sha256Digest.Of(File.ReadAllBytes(cached)));
    }

    [Fact]
    public void The_cache_stays_under_its_cap_by_evicting_the_least_recently_used_chunk()
    {
        var (a, b, c) = (Upstream(100, 1), Upstream(100, 2), Upstream(100, 3));
        var cache = Cache(250);

        cache.Read(a, 100);
        cache.Read(b, 100);
        cache.Read(a, 100); // a is now more recent than b
        cache.Read(c, 100);

        Assert.True(cache.Contains(a));
        Assert.False(cache.Contains(b));
        Assert.True(cache.Contains(c));
        Assert.Equal(200, cache.CachedBytes);
        Assert.Equal(2, Directory.GetFiles(ChunkCache.DirectoryOf(_temp.Path)).Length);
    }

    [Fact]
    public void A_cache_opened_again_with_a_smaller_cap_shrinks_to_it()
    {
        var (a, b) = (Upstream(100, 1), Upstream(100, 2));
        var cache = Cache(1000);
        cache.Read(a, 100);
        cache.Read(b, 100);

        var smaller = Cache(150);

        Assert.Equal(100, smaller.CachedBytes);
        Assert.Single(Directory.GetFiles(ChunkCache.DirectoryOf(_temp.Path)));
    }

    [Fact]
    public void A_chunk_nobody_serves_is_reported_as_missing()
    {
        Assert.Null(Cache(1000).Read(Sha256Digest.Of([9]), 100));
    }
}

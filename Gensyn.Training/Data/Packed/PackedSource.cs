using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Where a node reads packed datasets from, with the limits it reads them under: a store of its own read directly (a
/// coordinator's blob store, the local packed store of <c>gensyn train</c>), or the network behind
/// <see cref="ChunkCache"/> in <c>DATA_DIR/cache</c> (a worker). One per node, shared by its jobs, so that the cache's
/// counters cover them all.
/// </summary>
public sealed class PackedSource
{
    private PackedSource(IChunkSource chunks, PackedDataSettings settings, ChunkCache? cache)
    {
        Chunks = chunks;
        Settings = settings;
        Cache = cache;
    }

    /// <summary>What a batch reads its chunks (and the dataset its manifest) from.</summary>
    public IChunkSource Chunks { get; }

    public PackedDataSettings Settings { get; }

    /// <summary>The cache in front of the network, when there is one: its hits, misses and bytes fetched.</summary>
    public ChunkCache? Cache { get; }

    /// <summary>A store this node holds itself, read without a cache.</summary>
    public static PackedSource Direct(IChunkSource store, PackedDataSettings settings) => new(store, settings, null);

    /// <summary><paramref name="upstream"/> (the network) behind the cache in <c>DATA_DIR/cache</c>.</summary>
    public static PackedSource Cached(string dataDirectory, PackedDataSettings settings, IChunkSource upstream)
    {
        var cache = new ChunkCache(ChunkCache.DirectoryOf(dataDirectory), settings.CacheBytes, upstream,
            settings.FetchAttempts);
        return new PackedSource(cache, settings, cache);
    }

    /// <summary>
    /// The packed store of a data directory, <c>DATA_DIR/packed</c>: what <c>gensyn train</c> reads a spec that names
    /// a manifest from, and where packing writes the chunks and manifests it makes.
    /// </summary>
    public static PackedSource Local(string dataDirectory) =>
        Direct(new DirectoryChunkStore(LocalStoreOf(dataDirectory)), PackedDataSettings.Default);

    /// <summary>The folder of a data directory's own packed datasets.</summary>
    public static string LocalStoreOf(string dataDirectory) => Path.Combine(dataDirectory, "packed");
}

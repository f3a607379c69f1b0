using Akka.Configuration;

namespace Gensyn.Contracts.Datasets;

/// <summary>
/// Limits and sizes of packed datasets (<c>gensyn.datasets</c> in cluster.hocon; docs/concepts/datasets.md). A manifest
/// over <see cref="MaxManifestBytes"/> or naming a chunk over <see cref="MaxChunkBytes"/> is refused before anything is
/// fetched. The chunk cache in <c>DATA_DIR/cache</c> holds at most <see cref="CacheBytes"/>, evicting the least
/// recently used; a reader keeps at most <see cref="ReaderMemoryBytes"/> of decoded chunks in memory. A chunk whose
/// fetched bytes are not the chunk asked for is fetched again, at most <see cref="FetchAttempts"/> times in all.
/// </summary>
public sealed record PackedDataSettings(
    long MaxManifestBytes, long MaxChunkBytes, long CacheBytes, long ReaderMemoryBytes, int FetchAttempts = 3)
{
    public const string Section = "gensyn.datasets";

    public static readonly PackedDataSettings Default = new(
        MaxManifestBytes: 16L << 20, MaxChunkBytes: 64L << 20, CacheBytes: 10L << 30, ReaderMemoryBytes: 256L << 20);

    /// <summary>The settings in <paramref name="config"/>'s <see cref="Section"/>, each falling back to its
    /// default.</summary>
    public static PackedDataSettings From(Config config)
    {
        var d = Default;
        if (!config.HasPath(Section)) return d;
        var c = config.GetConfig(Section);
        return new PackedDataSettings(
            Positive(c.GetByteSize("max-manifest-size") ?? d.MaxManifestBytes, "max-manifest-size"),
            Positive(c.GetByteSize("max-chunk-size") ?? d.MaxChunkBytes, "max-chunk-size"),
            Positive(c.GetByteSize("cache-size") ?? d.CacheBytes, "cache-size"),
            Positive(c.GetByteSize("reader-memory") ?? d.ReaderMemoryBytes, "reader-memory"),
            (int)Positive(c.GetInt("fetch-attempts", d.FetchAttempts), "fetch-attempts"));
    }

    private static long Positive(long value, string name) =>
        value > 0 ? value : throw new ConfigurationException($"{Section}.{name} must be above 0, got {value}");
}

using Akka.Configuration;

namespace Gensyn.Actors.Blobs;

/// <summary> How a coordinator keeps and moves blobs (<c>gensyn.blobs</c> in cluster.hocon): a blob no running job
/// references is deleted once unused for <see cref="Retention"/> (so a finished job's result stays downloadable that
/// long after its last use); a partial upload that receives no bytes for <see cref="PartialIdleTimeout"/> is cut off
/// and its file deleted; the sweep runs every <see cref="SweepInterval"/>, the first one no sooner than <see
/// cref="FirstSweepAfter"/> after start (time for the jobs a restarted coordinator recovers to pin their blobs). Blobs
/// travel through the edge in chunks of <see cref="ChunkBytes"/>, with up to <see cref="ChunksInFlight"/> of them read
/// ahead of the wire (sending) or received ahead of the disk (receiving): what one transfer holds in memory at most,
/// whatever the blob's size. A round's update blob of at most <see cref="PushMaxBytes"/> travels down a worker's
/// session with the assignment that names it, instead of being fetched (0: never). </summary>
public sealed record BlobSettings(
    TimeSpan Retention,
    TimeSpan PartialIdleTimeout,
    TimeSpan SweepInterval,
    TimeSpan FirstSweepAfter,
    int ChunkBytes = BlobSettings.DefaultChunkBytes,
    int ChunksInFlight = BlobSettings.DefaultChunksInFlight,
    int PushMaxBytes = BlobSettings.DefaultPushMaxBytes)
{
    public const string Section = "gensyn.blobs";

    /// <summary>
    /// 64 KiB: under .NET's 85,000-byte large-object threshold, so that each chunk's buffers (the message gRPC
    /// parses, the protobuf bytes) die young in gen0; 1 MiB chunks were large objects that only full collections
    /// free, and a 2 GiB transfer grew the heap by 100-170 MB where 64 KiB chunks grow it by under 20 MB
    /// (docs/benchmarks.md, "blobs at disk speed").
    /// </summary>
    public const int DefaultChunkBytes = 64 << 10;

    /// <summary>16 × 64 KiB: a 1 MiB window of chunks in flight.</summary>
    public const int DefaultChunksInFlight = 16;

    /// <summary>The smallest chunk allowed.</summary>
    public const int MinChunkBytes = 4 << 10;

    /// <summary>The largest chunk allowed: under the edge's 4 MiB gRPC message limit with room for the message's
    /// framing.</summary>
    public const int MaxChunkBytes = 3 << 20;

    public const int MaxChunksInFlight = 64;

    /// <summary>1 MiB: an int8 update of a model of about a million parameters (mnist-mlp's is 207 KB).</summary>
    public const int DefaultPushMaxBytes = 1 << 20;

    public static readonly BlobSettings Default =
        new(TimeSpan.FromDays(7), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

    /// <summary>Bytes one transfer may have in flight: the HTTP/2 flow-control window of a blob stream.</summary>
    public int WindowBytes => ChunkBytes * ChunksInFlight;

    public static BlobSettings From(Config config)
    {
        var d = Default;
        if (!config.HasPath(Section)) return d;
        var c = config.GetConfig(Section);
        var chunk = c.GetByteSize("chunk-size") ?? d.ChunkBytes;
        var push = c.GetByteSize("push-max-size") ?? d.PushMaxBytes;
        var settings = new BlobSettings(
            c.GetTimeSpan("retention", d.Retention), c.GetTimeSpan("partial-idle-timeout", d.PartialIdleTimeout),
            c.GetTimeSpan("sweep-interval", d.SweepInterval), c.GetTimeSpan("first-sweep-after", d.FirstSweepAfter),
            chunk is >= MinChunkBytes and <= MaxChunkBytes ? (int)chunk
                : throw new ConfigurationException(
                    $"{Section}.chunk-size must be {MinChunkBytes >> 10}k to {MaxChunkBytes >> 20}m, " +
                    $"got {chunk:N0} bytes"),
            c.GetInt("chunks-in-flight", d.ChunksInFlight),
            push is >= 0 and <= MaxChunkBytes
                ? (int)push
                : throw new ConfigurationException(
                    $"{Section}.push-max-size must be 0 to {MaxChunkBytes >> 20}m, got {push:N0} bytes"));
        if (settings.Retention < TimeSpan.Zero || settings.PartialIdleTimeout <= TimeSpan.Zero
            || settings.SweepInterval <= TimeSpan.Zero || settings.FirstSweepAfter < TimeSpan.Zero)
            throw new ConfigurationException(
                $"{Section}: retention and first-sweep-after must be 0 or more, " +
                "partial-idle-timeout and sweep-interval above 0");
        if (settings.ChunksInFlight is < 1 or > MaxChunksInFlight)
            throw new ConfigurationException(
                $"{Section}.chunks-in-flight must be 1 to {MaxChunksInFlight}, got {settings.ChunksInFlight}");
        return settings;
    }
}

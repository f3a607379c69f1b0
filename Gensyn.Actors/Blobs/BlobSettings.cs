using Akka.Configuration;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// How long a coordinator keeps blobs (<c>gensyn.blobs</c> in cluster.hocon): a blob no running job references is deleted once unused for
/// <see cref="Retention"/> (so a finished job's result stays downloadable that long after its last use); a partial upload that receives no
/// bytes for <see cref="PartialIdleTimeout"/> is cut off and its file deleted; the sweep runs every <see cref="SweepInterval"/>, the first
/// one no sooner than <see cref="FirstSweepAfter"/> after start (time for the jobs a restarted coordinator recovers to pin their blobs).
/// </summary>
public sealed record BlobSettings(TimeSpan Retention, TimeSpan PartialIdleTimeout, TimeSpan SweepInterval, TimeSpan FirstSweepAfter)
{
    public const string Section = "gensyn.blobs";

    public static readonly BlobSettings Default = new(TimeSpan.FromDays(7), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

    public static BlobSettings From(Config config)
    {
        var d = Default;
        if (!config.HasPath(Section)) return d;
        var c = config.GetConfig(Section);
        var settings = new BlobSettings(
            c.GetTimeSpan("retention", d.Retention), c.GetTimeSpan("partial-idle-timeout", d.PartialIdleTimeout), c.GetTimeSpan("sweep-interval", d.SweepInterval),
            c.GetTimeSpan("first-sweep-after", d.FirstSweepAfter));
        if (settings.Retention < TimeSpan.Zero || settings.PartialIdleTimeout <= TimeSpan.Zero || settings.SweepInterval <= TimeSpan.Zero
            || settings.FirstSweepAfter < TimeSpan.Zero)
            throw new ConfigurationException($"{Section}: retention and first-sweep-after must be 0 or more, partial-idle-timeout and sweep-interval above 0");
        return settings;
    }
}

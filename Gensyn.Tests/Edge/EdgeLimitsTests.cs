using Akka.Configuration;
using Gensyn.Actors.Blobs;
using Gensyn.Edge.Limits;

namespace Gensyn.Tests.Edge;

public class EdgeLimitsTests
{
    private static Config Shipped() => ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")));

    [Fact]
    public void The_shipped_cluster_hocon_sets_the_documented_default_limits()
    {
        var limits = EdgeLimits.From(Shipped());
        Assert.Equal(6000, limits.CallsPerMinute);
        Assert.Equal(600, limits.CallsPerMinuteOf("ProbeBandwidth"));
        Assert.Equal(6000, limits.CallsPerMinuteOf("Quote"));
        Assert.Equal(256, limits.StreamsPerKey);
        Assert.Equal(64L << 30, limits.BlobQuotaBytes);
        Assert.Equal(8L << 30, limits.MaxUploadBytes);
        Assert.Equal(100_000, limits.NoncesPerKey);
        Assert.Equal(50, limits.ListJobsPageSize);

        Assert.Equal(new BlobSettings(TimeSpan.FromDays(7), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5),
            ChunkBytes: 64 << 10, ChunksInFlight: 16, PushMaxBytes: 1 << 20), BlobSettings.From(Shipped()));
    }

    [Theory]
    [InlineData("chunk-size = 4m", "gensyn.blobs.chunk-size must be 4k to 3m")]
    [InlineData("chunk-size = 1k", "gensyn.blobs.chunk-size must be 4k to 3m")]
    [InlineData("chunks-in-flight = 0", "gensyn.blobs.chunks-in-flight must be 1 to 64")]
    [InlineData("push-max-size = 4m", "gensyn.blobs.push-max-size must be 0 to 3m")]
    public void A_blob_chunk_setting_out_of_range_is_refused_with_the_setting_named(string setting, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() => BlobSettings.From(ConfigurationFactory.ParseString($"gensyn.blobs {{ {setting} }}")));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_limit_of_zero_or_below_is_refused_with_the_setting_named()
    {
        var config = ConfigurationFactory.ParseString("gensyn.edge.limits { streams-per-key = 0 }");
        var e = Assert.Throws<ConfigurationException>(() => EdgeLimits.From(config));
        Assert.Contains("gensyn.edge.limits.streams-per-key", e.Message);
    }
}

using Akka.Configuration;
using Gensyn.Contracts.Datasets;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Data.Packed;

/// <summary><c>gensyn.datasets</c>: the shipped file states the defaults, and each setting can be changed
/// alone.</summary>
public sealed class PackedDataSettingsTests
{
    [Fact]
    public void The_shipped_file_gives_the_defaults()
    {
        var hocon = File.ReadAllText(Path.Combine(GensynProcess.RepositoryRoot, "cluster.hocon"));
        var shipped = ConfigurationFactory.ParseString(hocon);
        Assert.Equal(PackedDataSettings.Default, PackedDataSettings.From(shipped));
    }

    [Fact]
    public void A_setting_given_alone_changes_only_itself()
    {
        var settings = PackedDataSettings.From(ConfigurationFactory.ParseString("gensyn.datasets.cache-size = 2g"));
        Assert.Equal(PackedDataSettings.Default with { CacheBytes = 2L << 30 }, settings);
    }

    [Fact]
    public void A_limit_of_zero_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            PackedDataSettings.From(ConfigurationFactory.ParseString("gensyn.datasets.max-manifest-size = 0")));
        Assert.Contains("gensyn.datasets.max-manifest-size must be above 0", e.Message);
    }
}

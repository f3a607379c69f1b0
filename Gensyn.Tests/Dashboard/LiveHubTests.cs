using Gensyn.Contracts;
using Gensyn.Edge.Dashboard;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gensyn.Tests.Dashboard;

public sealed class LiveHubTests
{
    [Fact]
    public void The_hub_holds_at_most_its_limit_of_live_pages_and_frees_a_slot_on_close()
    {
        var hub = new LiveHub(null!, DashboardSettings.Default with { MaxStreams = 2 }, NullLogger.Instance);
        var first = hub.Open(null, null);
        Assert.NotNull(first);
        Assert.NotNull(hub.Open((JobId)"job-0000abcd", "0xA"));
        Assert.Null(hub.Open(null, null));
        hub.Close(first);
        Assert.NotNull(hub.Open(null, null));
    }

    [Fact]
    public void A_slow_page_keeps_only_its_latest_updates()
    {
        var hub = new LiveHub(null!, DashboardSettings.Default, NullLogger.Instance);
        var stream = hub.Open(null, null)!;
        for (var i = 0; i < 1000; i++) Assert.True(stream.Out.Writer.TryWrite(LiveHub.Event("network", $"{{\"n\":{i}}}")));
        Assert.Equal(64, stream.Out.Reader.Count);
        Assert.True(stream.Out.Reader.TryRead(out var oldest));
        Assert.Contains("\"n\":936", oldest);
    }
}

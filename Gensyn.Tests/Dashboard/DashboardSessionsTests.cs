using Gensyn.Edge.Dashboard;

namespace Gensyn.Tests.Dashboard;

public sealed class DashboardSessionsTests
{
    private static readonly DashboardSettings Settings = DashboardSettings.Default with { MaxSessions = 50, MaxSessionsPerAddress = 3 };

    [Fact]
    public void A_token_opens_one_session_for_its_address()
    {
        var sessions = new DashboardSessions(Settings);
        var (token, _) = sessions.Mint("0xA");
        var session = sessions.Exchange(token);
        Assert.NotNull(session);
        Assert.Equal("0xA", sessions.AddressOf(session.Value.Session));
        Assert.Null(sessions.Exchange(token));
        Assert.Null(sessions.AddressOf(token));
    }

    [Fact]
    public void Tokens_and_sessions_expire()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var sessions = new DashboardSessions(Settings, clock);
        var (late, _) = sessions.Mint("0xA");
        clock.Advance(Settings.TokenLifetime + TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Exchange(late));
        var session = sessions.Exchange(sessions.Mint("0xA").Token)!.Value.Session;
        clock.Advance(Settings.SessionLifetime + TimeSpan.FromSeconds(1));
        Assert.Null(sessions.AddressOf(session));
    }

    [Fact]
    public void One_address_holds_a_bounded_number_its_oldest_going_first()
    {
        var sessions = new DashboardSessions(Settings);
        var tokens = Enumerable.Range(0, 5).Select(_ => sessions.Mint("0xA").Token).ToList();
        Assert.Equal(Settings.MaxSessionsPerAddress, sessions.Count);
        Assert.Null(sessions.Exchange(tokens[0]));
        Assert.NotNull(sessions.Exchange(tokens[^1]));
    }

    [Fact]
    public void The_edge_refuses_new_tokens_when_full()
    {
        var sessions = new DashboardSessions(Settings with { MaxSessions = 4, MaxSessionsPerAddress = 4 });
        for (var i = 0; i < 4; i++) sessions.Mint($"0x{i}");
        var full = Assert.Throws<InvalidOperationException>(() => sessions.Mint("0xF"));
        Assert.Contains("try again", full.Message);
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

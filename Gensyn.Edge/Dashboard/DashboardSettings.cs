using Akka.Configuration;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The dashboard's limits (<c>gensyn.dashboard</c> in cluster.hocon; docs/operations/dashboard.md): how long a sign-in
/// token and a session last, how many sessions and live streams the edge keeps, the largest spec the quote page takes,
/// and how often the network's figures are sampled for its charts.
/// </summary>
public sealed record DashboardSettings(
    TimeSpan TokenLifetime,
    TimeSpan SessionLifetime,
    int MaxSessions,
    int MaxSessionsPerAddress,
    int MaxStreams,
    int MaxQuoteBytes,
    TimeSpan NetworkSample,
    int HistoryPoints)
{
    public const string Section = "gensyn.dashboard";

    public static readonly DashboardSettings Default = new(
        TimeSpan.FromSeconds(60), TimeSpan.FromHours(1), 10_000, 32, 2_000, 64 << 10, TimeSpan.FromSeconds(5), 720);

    public static DashboardSettings From(Config config)
    {
        var d = Default;
        if (!config.HasPath(Section)) return d;
        var c = config.GetConfig(Section);
        return new DashboardSettings(
            Positive(c.GetTimeSpan("token-lifetime", d.TokenLifetime), "token-lifetime"),
            Positive(c.GetTimeSpan("session-lifetime", d.SessionLifetime), "session-lifetime"),
            Positive(c.GetInt("max-sessions", d.MaxSessions), "max-sessions"),
            Positive(c.GetInt("max-sessions-per-address", d.MaxSessionsPerAddress), "max-sessions-per-address"),
            Positive(c.GetInt("max-streams", d.MaxStreams), "max-streams"),
            Positive((int)(c.GetByteSize("max-quote-bytes") ?? d.MaxQuoteBytes), "max-quote-bytes"),
            Positive(c.GetTimeSpan("network-sample", d.NetworkSample), "network-sample"),
            Positive(c.GetInt("history-points", d.HistoryPoints), "history-points"));
    }

    private static TimeSpan Positive(TimeSpan value, string name) =>
        value > TimeSpan.Zero
            ? value
            : throw new ConfigurationException($"{Section}.{name} must be above 0, got {value}");

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ConfigurationException($"{Section}.{name} must be above 0, got {value}");
}

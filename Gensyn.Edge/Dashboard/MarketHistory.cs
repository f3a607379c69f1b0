using Gensyn.Contracts.Messages;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The network's clearing price per class over time, one sample per <see cref="DashboardSettings.NetworkSample"/>, the
/// last <see cref="DashboardSettings.HistoryPoints"/> kept (in memory: a restarted coordinator starts a new history).
/// At most <see cref="MaxClasses"/> classes are charted, so that workers reporting made-up classes cannot grow it.
/// </summary>
public sealed class MarketHistory(int capacity)
{
    public const int MaxClasses = 8;

    private readonly Queue<(DateTimeOffset At, IReadOnlyDictionary<string, double> Prices)> _samples = new();
    private readonly object _gate = new();

    public void Add(DateTimeOffset at, MarketView market)
    {
        var prices = market.Classes.Where(c => c.ClearingPrice is not null)
            .OrderByDescending(c => c.Registered).ThenBy(c => c.Class, StringComparer.Ordinal)
            .Take(MaxClasses).ToDictionary(c => c.Class, c => c.ClearingPrice!.Value);
        lock (_gate)
        {
            _samples.Enqueue((at, prices));
            while (_samples.Count > capacity) _samples.Dequeue();
        }
    }

    /// <summary>The clearing price of each class over the kept samples, minutes before <paramref name="now"/> on the x
    /// axis.</summary>
    public string PriceChart(DateTimeOffset now)
    {
        List<(DateTimeOffset At, IReadOnlyDictionary<string, double> Prices)> samples;
        lock (_gate) samples = [.. _samples];
        var classes = samples.SelectMany(s => s.Prices.Keys).Distinct().OrderBy(c => c, StringComparer.Ordinal)
            .Take(MaxClasses).ToList();
        var series = classes.Select((c, i) => new ChartSeries(c, Palette[i % Palette.Length],
            samples.Where(s => s.Prices.ContainsKey(c)).Select(s => (-(now - s.At).TotalMinutes, s.Prices[c])).ToList(),
            Format: "0.####")).ToList();
        return SvgChart.Render("Clearing price, GENS per compute-hour", "minutes ago", series);
    }

    /// <summary>GENS paid to workers per minute, from the recent settlements.</summary>
    public static string VolumeChart(IReadOnlyList<SettlementSettled> settlements, DateTimeOffset now)
    {
        var paid = settlements.Where(s => s is { Kind: SettlementKind.PayRound, Status: SettlementStatus.Confirmed })
            .GroupBy(s => Math.Floor((now - s.At).TotalMinutes))
            .OrderByDescending(g => g.Key)
            .Select(g => (-g.Key, g.Sum(s => (double)s.AmountMicros) / Contracts.Chain.Gens.MicrosPerGens)).ToList();
        return SvgChart.Render("Settled to workers, GENS per minute", "minutes ago",
            [new ChartSeries("paid", Palette[0], paid, Format: "0.######")]);
    }

    public static readonly string[] Palette =
        ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
}

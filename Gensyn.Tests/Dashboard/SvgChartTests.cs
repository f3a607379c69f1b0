using System.Xml.Linq;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Dashboard;

namespace Gensyn.Tests.Dashboard;

public sealed class SvgChartTests
{
    [Fact]
    public void A_chart_is_well_formed_svg_with_one_marker_per_point_and_says_how_many()
    {
        var svg = SvgChart.Render("loss", "round",
        [
            new ChartSeries("training loss", "#1f77b4", [(1, 0.9), (2, 0.5), (3, 0.4)]),
            new ChartSeries("test accuracy", "#d62728", [(1, 0.8), (2, 0.9)], RightAxis: true),
        ]);
        var root = XElement.Parse(svg);
        Assert.Equal("3", root.Attribute("data-points")!.Value);
        Assert.Equal(5, root.Descendants().Count(e => e.Name.LocalName == "circle"));
        Assert.Equal(2, root.Descendants().Count(e => e.Name.LocalName == "polyline"));
    }

    [Fact]
    public void Text_from_the_network_is_escaped_not_markup()
    {
        var svg = SvgChart.Render("<script>alert(1)</script> & \"job\"", "round",
            [new ChartSeries("<img src=x onerror=alert(1)>", "\"/><script>", [(1, 1.0)])]);
        var root = XElement.Parse(svg);
        Assert.DoesNotContain(root.Descendants(), e => e.Name.LocalName is "script" or "img");
        Assert.DoesNotContain("<script>", svg);
    }

    [Fact]
    public void Missing_and_non_finite_values_draw_no_point()
    {
        var empty = XElement.Parse(SvgChart.Render("loss", "round", []));
        Assert.Equal("0", empty.Attribute("data-points")!.Value);
        var nan = XElement.Parse(SvgChart.Render("loss", "round", [new ChartSeries("loss", "#000", [(1, double.NaN), (2, 0.5)])]));
        Assert.Single(nan.Descendants(), e => e.Name.LocalName == "circle");
    }

    [Fact]
    public void The_price_history_charts_a_bounded_number_of_classes()
    {
        var history = new MarketHistory(capacity: 3);
        var classes = Enumerable.Range(0, 50).Select(i => new MarketClassView($"class-{i:00}", 1, 1, 0, 0.1 + i, 0.1, 0.1)).ToList();
        for (var i = 0; i < 10; i++) history.Add(DateTimeOffset.UtcNow, new MarketView(classes, []));
        var root = XElement.Parse(history.PriceChart(DateTimeOffset.UtcNow));
        Assert.Equal(MarketHistory.MaxClasses, root.Descendants().Count(e => e.Name.LocalName == "polyline"));
        Assert.Equal("3", root.Attribute("data-points")!.Value);
    }
}

public sealed class JobChartTests
{
    [Fact]
    public void A_jobs_chart_has_a_point_per_round_and_its_test_figures_where_a_round_was_evaluated()
    {
        RoundView Round(int r, double? accuracy) =>
            new(r, "h", "d", 2.0 / (r + 1), [], ["w1"], TestAccuracy: accuracy, TestLoss: accuracy is null ? null : 1 - accuracy);
        var view = new JobView("job-0000abcd", "mnist <mlp>", JobPhase.Running, 3, 8, 2, 100, 1, DateTimeOffset.UtcNow, null, null, null,
            null, null, null, [Round(0, null), Round(1, 0.8), Round(2, 0.9)], []);
        var root = XElement.Parse(DashboardData.Chart(view));
        Assert.Equal("3", root.Attribute("data-points")!.Value);
        Assert.Equal(3 + 2 + 2, root.Descendants().Count(e => e.Name.LocalName == "circle"));
        Assert.Contains(root.Descendants(), e => e.Name.LocalName == "text" && e.Value == "test accuracy %");
    }
}

public sealed class ChartAxisTests
{
    private static IReadOnlyList<double> LeftTicks(string svg) =>
        XElement.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text" && e.Attribute("text-anchor")?.Value == "end")
            .Select(e => double.Parse(e.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    [Fact]
    public void A_flat_small_price_gets_an_axis_around_it_not_from_zero_to_half_a_unit()
    {
        var ticks = LeftTicks(SvgChart.Render("price", "minutes ago", [new ChartSeries("cpu", "#000", [(-2, 0.0082), (-1, 0.0082)])]));
        Assert.NotEmpty(ticks);
        Assert.True(ticks.Max() < 0.02, string.Join(", ", ticks));
        Assert.True(ticks.Min() >= 0, string.Join(", ", ticks));
    }

    [Fact]
    public void Round_ticks_are_whole_rounds_and_a_percentage_axis_stops_at_100()
    {
        var svg = SvgChart.Render("job", "round",
        [
            new ChartSeries("loss", "#000", [(1, 2.0), (2, 1.0), (3, 0.5)]),
            new ChartSeries("accuracy %", "#0f0", [(3, 99.5)], RightAxis: true, Max: 100),
        ]);
        var texts = XElement.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").ToList();
        var rounds = texts.Where(e => e.Attribute("text-anchor")?.Value == "middle" && e.Value != "round").Select(e => e.Value).ToList();
        Assert.All(rounds, r => Assert.True(int.TryParse(r, out _), $"round tick '{r}'"));
        var right = texts.Where(e => e.Attribute("text-anchor")?.Value == "start" && e.Attribute("fill")?.Value == "#0f0")
            .Select(e => double.Parse(e.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(right);
        Assert.True(right.Max() <= 100, string.Join(", ", right));
    }
}

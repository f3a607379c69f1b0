using System.Globalization;
using System.Security;
using System.Text;

namespace Gensyn.Edge.Dashboard;

/// <summary>One line of a chart: its points (x, y), its colour, and whether it reads against the right-hand axis;
/// <see cref="Max"/>: the highest value its axis shows (100 for a percentage).</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points,
    bool RightAxis = false, string Format = "0.###", double? Max = null);

/// <summary>
/// Line charts drawn on the server as SVG (no script, no outside font or library), small enough to push whole with each
/// live update. Series on the left axis share its scale; a right-axis series has its own. The root carries
/// <c>data-points</c>: the most points of any series.
/// </summary>
public static class SvgChart
{
    private const int Width = 640, Height = 240, Left = 56, Right = 56, Top = 28, Bottom = 32;

    public static string Render(string title, string xLabel, IReadOnlyList<ChartSeries> series)
    {
        var inv = CultureInfo.InvariantCulture;
        var points = series.Count == 0 ? 0 : series.Max(s => s.Points.Count);
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = new StringBuilder();
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" ");
        svg.Append(inv, $"data-points=\"{points}\" ");
        svg.Append(inv, $"aria-label=\"{Escape(title)}\" font-family=\"sans-serif\" font-size=\"11\">");
        var room = (Width - Right - series.Sum(s => LegendWidth(s.Name)) - Left) / 7;
        var shown = title.Length <= room ? title : title[..Math.Max(1, room - 1)] + "…";
        svg.Append(inv, $"<text x=\"{Left}\" y=\"16\" font-size=\"13\" fill=\"#222\">{Escape(shown)}</text>");
        svg.Append(inv, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" ");
        svg.Append(inv, $"height=\"{Height - Top - Bottom}\" ");
        svg.Append("fill=\"none\" stroke=\"#ccc\"/>");
        if (all.Count == 0)
        {
            svg.Append(inv, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" fill=\"#888\">");
            svg.Append("no data yet</text></svg>");
            return svg.ToString();
        }
        var (x0, x1) = Range(all.Select(p => p.X));
        var left = series.Where(s => !s.RightAxis).ToList();
        var right = series.Where(s => s.RightAxis).ToList();
        var leftRange = Capped(Range(left.SelectMany(s => s.Points).Select(p => p.Y).Where(double.IsFinite)), left);
        var rightRange = Capped(Range(right.SelectMany(s => s.Points).Select(p => p.Y).Where(double.IsFinite)), right);
        double X(double x) => Left + (x - x0) / (x1 - x0) * (Width - Left - Right);
        double Y((double Lo, double Hi) r, double y) =>
            Height - Bottom - (y - r.Lo) / (r.Hi - r.Lo) * (Height - Top - Bottom);
        Axis(svg, left.FirstOrDefault(), leftRange, Left - 4, "end", Y);
        Axis(svg, right.FirstOrDefault(), rightRange, Width - Right + 4, "start", Y);
        var whole = all.All(p => p.X == Math.Round(p.X));
        foreach (var (x, format) in Ticks(x0, x1, whole))
            svg.Append(inv, $"<text x=\"{X(x):0.#}\" y=\"{Height - Bottom + 14}\" text-anchor=\"middle\" " +
                            $"fill=\"#555\">{x.ToString(format, inv)}</text>");
        svg.Append(inv, $"<text x=\"{Width / 2}\" y=\"{Height - 4}\" text-anchor=\"middle\" fill=\"#555\">" +
                        $"{Escape(xLabel)}</text>");
        var legend = Width - Right - series.Sum(s => LegendWidth(s.Name));
        foreach (var s in series)
        {
            var range = s.RightAxis ? rightRange : leftRange;
            var drawn = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (drawn.Count > 1)
            {
                var line = string.Join(" ", drawn.Select(p => string.Create(inv, $"{X(p.X):0.#},{Y(range, p.Y):0.#}")));
                svg.Append(inv, $"<polyline fill=\"none\" stroke=\"{Escape(s.Color)}\" stroke-width=\"2\" " +
                                $"points=\"{line}\"/>");
            }
            foreach (var p in drawn)
                svg.Append(inv, $"<circle cx=\"{X(p.X):0.#}\" cy=\"{Y(range, p.Y):0.#}\" r=\"3\" " +
                                $"fill=\"{Escape(s.Color)}\"><title>{Escape(s.Name)} {p.X.ToString("0.##", inv)}: " +
                                $"{p.Y.ToString(s.Format, inv)}</title></circle>");
            svg.Append(inv, $"<rect x=\"{legend}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{Escape(s.Color)}\"/>");
            svg.Append(inv, $"<text x=\"{legend + 14}\" y=\"17\" fill=\"#222\">{Escape(s.Name)}</text>");
            legend += LegendWidth(s.Name);
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Axis(StringBuilder svg, ChartSeries? series, (double Lo, double Hi) range, int x, string anchor,
        Func<(double, double), double, double> y)
    {
        if (series is null) return;
        foreach (var (t, format) in Ticks(range.Lo, range.Hi, whole: false))
        {
            var inv = CultureInfo.InvariantCulture;
            svg.Append(inv, $"<text x=\"{x}\" y=\"{y(range, t) + 4:0.#}\" text-anchor=\"{anchor}\" " +
                            $"fill=\"{Escape(series.Color)}\">{t.ToString(format, inv)}</text>");
        }
    }

    /// <summary>The span the values cover, widened a little (around the value when they are all equal), never below 0
    /// for values that are not.</summary>
    private static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return (0, 1);
        var (lo, hi) = (list.Min(), list.Max());
        var pad = hi - lo > 1e-12 * Math.Max(1, Math.Abs(hi)) ? (hi - lo) * 0.05 : lo != 0 ? Math.Abs(lo) * 0.5 : 0.5;
        return (lo >= 0 ? Math.Max(0, lo - pad) : lo - pad, hi + pad);
    }

    /// <summary>The range no higher than its series' <see cref="ChartSeries.Max"/>.</summary>
    private static (double Lo, double Hi) Capped((double Lo, double Hi) range, IReadOnlyList<ChartSeries> series) =>
        series.Select(s => s.Max).Where(m => m is not null).Min() is { } max && range.Hi > max && range.Lo < max
            ? (range.Lo, max)
            : range;

    /// <summary>Round values across the span, 1, 2 or 5 times a power of ten apart (whole numbers only where
    /// <paramref name="whole"/>), with the format that shows them.</summary>
    private static IEnumerable<(double Value, string Format)> Ticks(double lo, double hi, bool whole)
    {
        var raw = (hi - lo) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / magnitude) switch { < 1.5 => 1, < 3 => 2, < 7 => 5, _ => 10 } * magnitude;
        if (whole) step = Math.Max(1, Math.Round(step));
        var format = step >= 1 ? "0" : "0." + new string('#', (int)Math.Ceiling(-Math.Log10(step)));
        for (var t = Math.Ceiling(lo / step) * step; t <= hi + step * 1e-9; t += step)
            yield return (Math.Round(t / step) * step, format);
    }

    /// <summary>The width a legend entry takes (its swatch and name).</summary>
    private static int LegendWidth(string name) => 24 + 7 * name.Length;

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}

using Gensyn.Training.Verification;
using Xunit.Abstractions;

namespace Gensyn.Tests.Verification;

public class DetectionSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Checking_44_steps_catches_a_worker_faking_10_percent_at_least_99_percent_of_the_time()
    {
        // H = 1000, 100 faked steps. Exact (distinct draws): 0.99130; the DESIGN's 1 − 0.9^44 = 0.99030.
        // 20,000 trials give a standard error of 0.00066, so the 99% bar sits 2σ below the exact value
        // (the seed is fixed, so the result is too); the observed rate must lie within 4σ of the exact one.
        var point = DetectionSimulation.Run(innerSteps: 1000, fakedFraction: 0.10, samples: 44, trials: 20_000, seed: 44);
        output.WriteLine(DetectionSimulation.FormatTable([point]));
        Assert.Equal(100, point.FakedSteps);
        Assert.True(point.Observed >= 0.99, $"detected {point.Observed:P2}");
        Assert.InRange(point.Binomial, 0.990, 0.991);
        Assert.True(point.Hypergeometric >= point.Binomial, "distinct draws detect at least as often as draws with replacement");
        Assert.True(point.Deviation <= 4, $"observed {point.Observed:F4} is {point.Deviation:F1}σ from the exact {point.Hypergeometric:F4}");
        Assert.True(Math.Abs(point.Observed - point.Binomial) <= 4 * point.StandardError + (point.Hypergeometric - point.Binomial),
            $"observed {point.Observed:F4} vs 1-(1-f)^k = {point.Binomial:F4}");
    }

    [Fact]
    public void The_real_challenge_sampler_detects_as_the_formula_says()
    {
        var point = DetectionSimulation.Run(innerSteps: 200, fakedFraction: 0.05, samples: 16, trials: 4_000, seed: 5,
                                            draw: DetectionSimulation.HmacDraw(Enumerable.Repeat((byte)9, 32).ToArray()));
        output.WriteLine(DetectionSimulation.FormatTable([point]));
        Assert.True(point.Deviation <= 4, $"observed {point.Observed:F4} is {point.Deviation:F1}σ from the exact {point.Hypergeometric:F4}");
    }

    [Fact]
    public void The_detection_curve_agrees_with_the_formulas_at_every_point()
    {
        var points = DetectionSimulation.PrintCurve(output.WriteLine, innerSteps: 1000, trials: 5_000, seed: 1);
        Assert.Equal(16, points.Count);
        foreach (var p in points)
        {
            Assert.True(p.Deviation <= 4, $"f = {p.FakedFraction}, k = {p.Samples}: observed {p.Observed:F4}, exact {p.Hypergeometric:F4}");
            Assert.True(p.Hypergeometric >= p.Binomial - 1e-12);
            Assert.True(p.Hypergeometric - p.Binomial < 0.03, $"f = {p.FakedFraction}, k = {p.Samples}: with H = 1000 the two formulas stay close");
        }
        // More checks, or more faking, can only help.
        foreach (var group in points.GroupBy(p => p.FakedFraction))
            Assert.Equal(group.OrderBy(p => p.Samples).Select(p => p.Hypergeometric), group.Select(p => p.Hypergeometric).Order());
    }

    [Fact]
    public void The_formulas_match_hand_values()
    {
        Assert.Equal(1 - Math.Pow(0.9, 44), DetectionSimulation.Binomial(0.1, 44), 12);
        Assert.Equal(0.5, DetectionSimulation.Hypergeometric(2, 1, 1), 12);
        Assert.Equal(1.0, DetectionSimulation.Hypergeometric(10, 5, 6), 12);       // 6 distinct of 10 must hit one of 5
        Assert.Equal(0.0, DetectionSimulation.Hypergeometric(10, 0, 10), 12);
        Assert.Equal(1 - 8.0 / 10 * 7 / 9, DetectionSimulation.Hypergeometric(10, 2, 2), 12);
    }
}

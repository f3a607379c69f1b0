using System.Globalization;
using System.Text;
using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>One (f, k) point of the detection curve: how often a spot-check of k steps caught a worker that faked a fraction f of H steps.</summary>
/// <param name="FakedSteps">m = round(f·H), the number of faked steps in each trial (chosen at random per trial).</param>
/// <param name="Binomial">1 − (1 − f)^k, the DESIGN's formula (steps drawn with replacement).</param>
/// <param name="Hypergeometric">1 − C(H − m, k) / C(H, k), exact for k distinct steps out of H, of which m are faked.</param>
/// <param name="StandardError">√(p(1 − p)/trials) with p the hypergeometric value: the Monte-Carlo noise expected around it.</param>
public sealed record DetectionPoint(
    int InnerSteps, double FakedFraction, int FakedSteps, int Samples, int Trials, int Detected,
    double Binomial, double Hypergeometric, double StandardError)
{
    public double Observed => (double)Detected / Trials;

    /// <summary>How many standard errors the observed rate lies from the exact (hypergeometric) value; 0 when both are certain.</summary>
    public double Deviation => Math.Abs(Observed - Hypergeometric) / Math.Max(StandardError, 0.5 / Trials);
}

/// <summary>
/// Seeded Monte-Carlo of spot-check detection. Each trial fakes m = round(f·H) of a shard's H steps,
/// chosen at random, and draws k distinct steps to check; the trial detects the fraud when any checked
/// step is faked. The observed rate is compared with 1 − (1 − f)^k (the DESIGN's estimate, sampling with
/// replacement) and with the exact hypergeometric value for sampling without replacement, which is
/// slightly higher (so the DESIGN's number is a lower bound).
/// </summary>
public static class DetectionSimulation
{
    /// <summary>Draws <c>k</c> distinct steps in 1..H for trial <c>trial</c>.</summary>
    public delegate IReadOnlyList<int> StepDraw(int trial, int innerSteps, int k);

    public static readonly double[] CurveFractions = [0.01, 0.05, 0.10, 0.20];
    public static readonly int[] CurveSamples = [8, 16, 44, 64];

    /// <summary>
    /// Runs <paramref name="trials"/> trials. Faked steps come from a <see cref="Random"/> seeded with
    /// <paramref name="seed"/>; checked steps from <paramref name="draw"/> when given (e.g.
    /// <see cref="HmacDraw"/>, the real sampler), else from the same seeded generator.
    /// </summary>
    public static DetectionPoint Run(int innerSteps, double fakedFraction, int samples, int trials, int seed, StepDraw? draw = null)
    {
        if (innerSteps < 1) throw new ArgumentOutOfRangeException(nameof(innerSteps));
        if (fakedFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fakedFraction));
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples));
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials));
        var random = new Random(seed);
        var faked = (int)Math.Round(fakedFraction * innerSteps, MidpointRounding.AwayFromZero);
        var k = Math.Min(samples, innerSteps);
        var order = Enumerable.Range(1, innerSteps).ToArray();
        var isFaked = new bool[innerSteps + 1];
        var detected = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            Array.Clear(isFaked);
            foreach (var s in PartialShuffle(order, faked, random)) isFaked[s] = true;
            var checkedSteps = draw is null ? PartialShuffle(order, k, random).ToArray() : draw(trial, innerSteps, k);
            if (checkedSteps.Any(s => isFaked[s])) detected++;
        }
        var exact = Hypergeometric(innerSteps, faked, k);
        return new DetectionPoint(innerSteps, fakedFraction, faked, k, trials, detected,
            Binomial(fakedFraction, k), exact, Math.Sqrt(exact * (1 - exact) / trials));
    }

    /// <summary>1 − (1 − f)^k.</summary>
    public static double Binomial(double fakedFraction, int samples) => 1 - Math.Pow(1 - fakedFraction, samples);

    /// <summary>1 − C(H − m, k) / C(H, k) = 1 − Π_{j&lt;k} (H − m − j) / (H − j): the chance that k distinct draws from H hit one of m.</summary>
    public static double Hypergeometric(int innerSteps, int faked, int samples)
    {
        var missAll = 1.0;
        for (var j = 0; j < samples && missAll > 0; j++)
            missAll *= Math.Max(0, innerSteps - faked - j) / (double)(innerSteps - j);
        return 1 - missAll;
    }

    /// <summary>The real draw: <see cref="ChallengeSampler"/> keyed by <paramref name="secret"/>, with a different committed root per trial.</summary>
    public static StepDraw HmacDraw(byte[] secret, string jobId = "simulation") => (trial, innerSteps, k) =>
        ChallengeSampler.Draw(secret, jobId, round: 0, shard: 0, Sha256Digest.Of(BitConverter.GetBytes(trial)), innerSteps, k);

    /// <summary>Every (f, k) pair of the curve, each over <paramref name="trials"/> trials (seeded per point).</summary>
    public static IReadOnlyList<DetectionPoint> Curve(int innerSteps = 1000, int trials = 10_000, int seed = 1,
                                                      IReadOnlyList<double>? fractions = null, IReadOnlyList<int>? samples = null)
    {
        var points = new List<DetectionPoint>();
        var index = 0;
        foreach (var f in fractions ?? CurveFractions)
            foreach (var k in samples ?? CurveSamples)
                points.Add(Run(innerSteps, f, k, trials, seed + index++));
        return points;
    }

    /// <summary>A fixed-width table of the curve, one line per point, for test output and benchmarks.</summary>
    public static string FormatTable(IReadOnlyList<DetectionPoint> points)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine("     H      f     m     k   trials   observed   1-(1-f)^k   hypergeom.   std.err.   dev(σ)");
        foreach (var p in points)
            text.AppendLine(string.Format(c, "{0,6} {1,6:P0} {2,5} {3,5} {4,8}   {5,8:F4}   {6,9:F4}   {7,10:F4}   {8,8:F4}   {9,6:F2}",
                p.InnerSteps, p.FakedFraction, p.FakedSteps, p.Samples, p.Trials, p.Observed, p.Binomial, p.Hypergeometric, p.StandardError, p.Deviation));
        return text.ToString();
    }

    /// <summary>Computes the curve and writes its table through <paramref name="writeLine"/> (e.g. a test's output or Console.WriteLine).</summary>
    public static IReadOnlyList<DetectionPoint> PrintCurve(Action<string> writeLine, int innerSteps = 1000, int trials = 10_000, int seed = 1)
    {
        var points = Curve(innerSteps, trials, seed);
        writeLine($"Spot-check detection: H = {innerSteps}, {trials} trials per point (seed {seed})");
        foreach (var line in FormatTable(points).Split('\n', StringSplitOptions.RemoveEmptyEntries)) writeLine(line.TrimEnd('\r'));
        return points;
    }

    /// <summary>The first <paramref name="count"/> entries of <paramref name="items"/> after a partial Fisher–Yates shuffle: a uniform random subset.</summary>
    private static ArraySegment<int> PartialShuffle(int[] items, int count, Random random)
    {
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, items.Length);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return new ArraySegment<int>(items, 0, count);
    }
}

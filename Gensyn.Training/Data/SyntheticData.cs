using Gensyn.Training.Determinism;

namespace Gensyn.Training.Data;

/// <summary>
/// A seeded, learnable classification problem for fast tests: Gaussian features labelled by a fixed
/// random linear teacher (argmax of W·x). A pure function of its arguments, independent of libtorch.
/// </summary>
public static class SyntheticData
{
    /// <summary>The test split's size for <paramref name="samples"/> training samples: a fifth as many, at least one.</summary>
    public static int TestSamples(int samples) => Math.Max(samples / 5, 1);

    public static DatasetSplits Create(int samples, int features, int classes, long seed)
    {
        var teacherKey = CounterRng.Key(seed, 0x7EAC4E2);
        var teacher = new double[classes * features];
        for (var i = 0; i < teacher.Length; i++) teacher[i] = CounterRng.NormalAt(teacherKey, i);
        var testSamples = TestSamples(samples);
        return new DatasetSplits(
            Split(samples, features, classes, teacher, CounterRng.Key(seed, 1)),
            Split(testSamples, features, classes, teacher, CounterRng.Key(seed, 2)));
    }

    private static ClassificationData Split(int samples, int features, int classes, double[] teacher, ulong key)
    {
        var x = new float[(long)samples * features];
        var y = new long[samples];
        for (var n = 0; n < samples; n++)
        {
            for (var f = 0; f < features; f++) x[(long)n * features + f] = (float)CounterRng.NormalAt(key, (long)n * features + f);
            var best = 0;
            var bestScore = double.NegativeInfinity;
            for (var c = 0; c < classes; c++)
            {
                double score = 0;
                for (var f = 0; f < features; f++) score += teacher[c * features + f] * x[(long)n * features + f];
                if (score > bestScore) (best, bestScore) = (c, score);
            }
            y[n] = best;
        }
        return new ClassificationData(x, y, [features], classes);
    }
}

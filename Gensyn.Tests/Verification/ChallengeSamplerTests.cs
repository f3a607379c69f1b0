using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

public class ChallengeSamplerTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1)).ToArray();
    private static readonly Sha256Digest Root = Sha256Digest.Of("committed root"u8);

    private static Sha256Digest RootNumber(int i) => Sha256Digest.Of(BitConverter.GetBytes(i));

    [Fact]
    public void The_same_inputs_draw_the_same_steps()
    {
        var a = ChallengeSampler.Draw(Secret, "job-1", 3, 1, Root, 100, 8);
        var b = ChallengeSampler.Draw((byte[])Secret.Clone(), "job-1", 3, 1, Root, 100, 8);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 3)]
    [InlineData(100, 44)]
    [InlineData(100, 99)]
    [InlineData(1000, 64)]
    [InlineData(7, 0)]
    public void Draws_are_k_distinct_ascending_steps_in_1_to_H(int h, int k)
    {
        for (var trial = 0; trial < 50; trial++)
        {
            var steps = ChallengeSampler.Draw(Secret, "job", 0, 0, RootNumber(trial), h, k);
            Assert.Equal(k, steps.Count);
            Assert.Equal(k, steps.Distinct().Count());
            Assert.All(steps, s => Assert.InRange(s, 1, h));
            Assert.Equal(steps.Order(), steps);
        }
    }

    [Fact]
    public void More_samples_than_steps_clamp_to_every_step()
    {
        Assert.Equal(Enumerable.Range(1, 10), ChallengeSampler.Draw(Secret, "job", 0, 0, Root, 10, 44));
        Assert.Equal(Enumerable.Range(1, 10), ChallengeSampler.Draw(Secret, "job", 0, 0, Root, 10, 10));
    }

    [Fact]
    public void Another_root_secret_job_round_or_shard_draws_other_steps()
    {
        var baseline = ChallengeSampler.Draw(Secret, "job", 2, 1, Root, 1000, 16);
        var otherSecret = Secret.ToArray();
        otherSecret[0] ^= 1;
        var others = new[]
        {
            ChallengeSampler.Draw(Secret, "job", 2, 1, Root with { D = Root.D ^ 1 }, 1000, 16),
            ChallengeSampler.Draw(otherSecret, "job", 2, 1, Root, 1000, 16),
            ChallengeSampler.Draw(Secret, "job2", 2, 1, Root, 1000, 16),
            ChallengeSampler.Draw(Secret, "job", 3, 1, Root, 1000, 16),
            ChallengeSampler.Draw(Secret, "job", 2, 0, Root, 1000, 16),
        };
        // 16 of 1000 by chance: two draws sharing more than 4 steps is very unlikely (and these are fixed inputs).
        foreach (var other in others) Assert.True(baseline.Intersect(other).Count() <= 4, $"{string.Join(",", baseline)} vs {string.Join(",", other)}");
        Assert.Equal(5, others.Select(o => string.Join(",", o)).Distinct().Count());
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ChallengeSampler.Draw([], "job", 0, 0, Root, 10, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChallengeSampler.Draw(Secret, "job", 0, 0, Root, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChallengeSampler.Draw(Secret, "job", 0, 0, Root, 10, -1));
        Assert.Equal(32, ChallengeSampler.NewSecret().Length);
        Assert.NotEqual(ChallengeSampler.NewSecret(), ChallengeSampler.NewSecret());
    }

    [Fact]
    public void Each_step_is_drawn_about_equally_often()
    {
        // H = 50, k = 5, 4000 draws over different roots: each step expects 400 hits. Chi-square with 49
        // degrees of freedom has mean 49 and sd 9.9; 100 is beyond p = 1e-5. The inputs are fixed, so no flakiness.
        const int h = 50, k = 5, draws = 4000;
        var counts = new int[h + 1];
        for (var i = 0; i < draws; i++)
            foreach (var s in ChallengeSampler.Draw(Secret, "uniformity", 0, 0, RootNumber(i), h, k)) counts[s]++;
        var expected = (double)draws * k / h;
        var chiSquare = counts.Skip(1).Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 100, $"chi-square {chiSquare:F1} over {h - 1} degrees of freedom");
    }

    [Fact]
    public void Every_subset_is_drawn_about_equally_often()
    {
        // H = 6, k = 3: 20 subsets, 6000 draws, 300 each expected. Chi-square with 19 df: mean 19, sd 6.2; 50 is beyond p = 1e-4.
        const int h = 6, k = 3, draws = 6000;
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < draws; i++)
        {
            var key = string.Join(",", ChallengeSampler.Draw(Secret, "subsets", 1, 2, RootNumber(i), h, k));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(20, counts.Count);
        var expected = draws / 20.0;
        var chiSquare = counts.Values.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 50, $"chi-square {chiSquare:F1} over 19 degrees of freedom");
    }
}

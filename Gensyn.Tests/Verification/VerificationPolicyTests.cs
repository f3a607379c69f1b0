using Gensyn.Actors.Verification;
using Gensyn.Contracts;

namespace Gensyn.Tests.Verification;

/// <summary>How many steps a result is challenged on (adaptive to the worker's record), and which.</summary>
public class VerificationPolicyTests
{
    private const string JobId = "job-policy01";
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(3 * i + 1)).ToArray();
    private static readonly byte[] OtherSecret = Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray();
    private static Sha256Digest Root(int i) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes($"root-{i}"));

    [Theory]
    [InlineData(8, 0, 8)]
    [InlineData(8, 9, 8)]
    [InlineData(8, 10, 4)]
    [InlineData(8, 19, 4)]
    [InlineData(8, 20, 2)]
    [InlineData(8, 29, 2)]
    [InlineData(8, 30, 1)]
    [InlineData(8, 40, 1)]
    [InlineData(8, 1000, 1)]
    [InlineData(5, 10, 2)]
    [InlineData(100, 60, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(1, 50, 1)]
    public void Samples_halve_every_ten_accepted_results_in_a_row_and_never_drop_below_one(int spec, int streak, int expected)
    {
        Assert.Equal(expected, VerificationPolicy.Samples(spec, streak));
    }

    [Fact]
    public void Samples_stay_at_least_one_for_any_record()
    {
        foreach (var spec in new[] { 1, 2, 3, 7, 64, int.MaxValue })
            for (var streak = 0; streak <= 400; streak += 7)
                Assert.InRange(VerificationPolicy.Samples(spec, streak), 1, spec);
        Assert.Equal(1, VerificationPolicy.Samples(int.MaxValue, int.MaxValue));
    }

    [Fact]
    public void Samples_never_grow_as_the_streak_grows()
    {
        var previous = int.MaxValue;
        for (var streak = 0; streak <= 200; streak++)
        {
            var k = VerificationPolicy.Samples(64, streak);
            Assert.True(k <= previous, $"k went up from {previous} to {k} at streak {streak}");
            previous = k;
        }
    }

    [Fact]
    public void A_reset_streak_challenges_all_k_steps_again()
    {
        Assert.Equal(2, VerificationPolicy.Samples(8, 25));
        Assert.Equal(8, VerificationPolicy.Samples(8, 0));
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(-5, 3, 1)]
    [InlineData(4, -7, 4)]
    public void Samples_treat_a_non_positive_spec_or_a_negative_streak_as_none(int spec, int streak, int expected)
    {
        Assert.Equal(expected, VerificationPolicy.Samples(spec, streak));
    }

    [Theory]
    [InlineData(16, 0, 4)]
    [InlineData(16, 5, 4)]
    [InlineData(16, 12, 3)]
    [InlineData(16, 14, 2)]
    [InlineData(64, 40, 8)]
    public void Drawn_steps_lie_after_the_resume_point_ascending_and_distinct(int h, int resumedAt, int k)
    {
        for (var i = 0; i < 50; i++)
        {
            var steps = VerificationPolicy.Draw(Secret, JobId, 1, 2, Root(i), h, resumedAt, k);

            Assert.Equal(k, steps.Count);
            Assert.All(steps, s => Assert.InRange(s, resumedAt + 1, h));
            for (var j = 1; j < steps.Count; j++) Assert.True(steps[j - 1] < steps[j], $"[{string.Join(", ", steps)}] is not strictly ascending");
        }
    }

    [Fact]
    public void Every_step_after_the_resume_point_can_be_drawn()
    {
        var drawn = new HashSet<int>();
        for (var i = 0; i < 200; i++) drawn.UnionWith(VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(i), 12, 7, 1));

        Assert.Equal([8, 9, 10, 11, 12], drawn.Order());
    }

    [Fact]
    public void Asking_for_more_steps_than_remain_after_the_resume_point_draws_all_of_them()
    {
        Assert.Equal([6, 7, 8, 9, 10], VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(0), 10, 5, 8));
        Assert.Equal(Enumerable.Range(1, 10), VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(0), 10, 0, 10));
    }

    [Fact]
    public void A_resume_point_at_or_past_the_last_step_still_challenges_the_last_step()
    {
        Assert.Equal([10], VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(0), 10, 10, 3));
        Assert.Equal([10], VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(0), 10, 99, 3));
    }

    [Fact]
    public void A_negative_resume_point_draws_from_the_whole_shard()
    {
        Assert.Equal(VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(1), 32, 0, 4), VerificationPolicy.Draw(Secret, JobId, 0, 0, Root(1), 32, -3, 4));
    }

    [Fact]
    public void The_draw_is_deterministic_for_the_same_secret_and_root()
    {
        var first = VerificationPolicy.Draw(Secret, JobId, 2, 1, Root(9), 64, 16, 6);
        var again = VerificationPolicy.Draw(Secret.ToArray(), JobId, 2, 1, Root(9), 64, 16, 6);

        Assert.Equal(first, again);
    }

    [Fact]
    public void Another_secret_or_another_root_draws_other_steps()
    {
        var first = VerificationPolicy.Draw(Secret, JobId, 2, 1, Root(9), 64, 16, 6);

        Assert.NotEqual(first, VerificationPolicy.Draw(OtherSecret, JobId, 2, 1, Root(9), 64, 16, 6));
        Assert.NotEqual(first, VerificationPolicy.Draw(Secret, JobId, 2, 1, Root(10), 64, 16, 6));
    }

    [Fact]
    public void Draws_with_fresh_secrets_differ_from_each_other()
    {
        var draws = Enumerable.Range(0, 20)
            .Select(_ => string.Join(",", VerificationPolicy.Draw(Gensyn.Training.Verification.ChallengeSampler.NewSecret(), JobId, 0, 0, Root(0), 64, 0, 6)))
            .ToHashSet();

        Assert.True(draws.Count > 1, "twenty fresh secrets all drew the same steps");
    }
}

using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Training.Verification;
using Xunit.Abstractions;

namespace Gensyn.Tests.Verification;

/// <summary>
/// The new-key ramp (a key with no accepted results is challenged on <c>new-key-samples</c> steps, falling to the
/// spec's k as its accepted results accumulate), the training draw that always takes a shard's first and last steps,
/// and the detection figures for a new key's first results.
/// </summary>
public sealed class TrustRampTests(ITestOutputHelper output)
{
    private const string JobId = "job-ramp0001";
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(7 * i + 5)).ToArray();
    private static Sha256Digest Root(int i) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes($"root-{i}"));

    [Theory]
    [InlineData(2, 0, 16)]
    [InlineData(2, 9, 16)]
    [InlineData(2, 10, 8)]
    [InlineData(2, 19, 8)]
    [InlineData(2, 20, 4)]
    [InlineData(2, 30, 2)]
    [InlineData(2, 39, 2)]
    [InlineData(2, 40, 1)]   // past the ramp the halving rule rules: spec 2 halved four times is 1
    [InlineData(4, 20, 4)]   // the ramp's 4 meets a spec of 4 (whose halving rule alone would give 1)
    [InlineData(4, 30, 2)]
    [InlineData(44, 0, 44)]  // a spec above the ramp keeps its own k and its halving rule
    [InlineData(44, 10, 22)]
    public void A_key_whose_results_were_all_accepted_starts_at_the_ramp_and_halves_every_ten(
        int spec, int accepted, int expected)
    {
        Assert.Equal(expected, VerificationPolicy.Samples(spec, accepted, accepted, newKeySamples: 16));
    }

    [Fact]
    public void The_ramp_counts_accepted_results_ever_while_a_rejection_resets_only_the_streak()
    {
        // 25 accepted, then a rejection: the ramp is at 16 >> 2 = 4, the halving rule back at the spec's 2.
        Assert.Equal(4, VerificationPolicy.Samples(2, honestStreak: 0, accepted: 25, newKeySamples: 16));
        // 60 accepted, streak reset: the ramp is spent, the spec's k is back in full.
        Assert.Equal(8, VerificationPolicy.Samples(8, honestStreak: 0, accepted: 60, newKeySamples: 16));
    }

    [Fact]
    public void Without_a_ramp_the_halving_rule_is_unchanged()
    {
        for (var spec = 1; spec <= 64; spec *= 2)
            for (var streak = 0; streak <= 80; streak += 5)
                Assert.Equal(VerificationPolicy.Samples(spec, streak),
                    VerificationPolicy.Samples(spec, streak, streak, newKeySamples: 0));
    }

    [Fact]
    public void The_challenged_count_never_rises_as_accepted_results_accumulate_and_never_drops_below_one()
    {
        foreach (var spec in new[] { 1, 2, 4, 44 })
        {
            var previous = int.MaxValue;
            for (var n = 0; n <= 100; n++)
            {
                var k = VerificationPolicy.Samples(spec, n, n, newKeySamples: 16);
                Assert.InRange(k, 1, previous);
                previous = k;
            }
        }
    }

    [Theory]
    [InlineData(100, 0, 16)]
    [InlineData(100, 0, 2)]
    [InlineData(100, 37, 5)]
    [InlineData(10, 0, 3)]
    [InlineData(64, 60, 1)]
    public void A_training_draw_takes_the_first_and_last_step_plus_k_distinct_steps_between(int h, int resumedAt, int k)
    {
        for (var i = 0; i < 100; i++)
        {
            var steps = VerificationPolicy.TrainingSteps(Secret, JobId, 1, 2, Root(i), h, resumedAt, k);

            Assert.Equal(resumedAt + 1, steps[0]);
            Assert.Equal(h, steps[^1]);
            Assert.Equal(Math.Min(h - resumedAt, k + 2), steps.Count);
            Assert.Equal(steps.Order().Distinct(), steps);
            Assert.All(steps, s => Assert.InRange(s, resumedAt + 1, h));
        }
    }

    [Theory]
    [InlineData(8, 0, 16)]
    [InlineData(8, 5, 2)]
    [InlineData(3, 0, 1)]
    [InlineData(1, 0, 4)]
    [InlineData(10, 9, 3)]
    [InlineData(10, 99, 3)]
    public void A_shard_with_no_more_open_steps_than_k_plus_two_is_challenged_on_every_open_step(
        int h, int resumedAt, int k)
    {
        var first = Math.Clamp(resumedAt, 0, h - 1) + 1;
        Assert.Equal(Enumerable.Range(first, h - first + 1),
            VerificationPolicy.TrainingSteps(Secret, JobId, 0, 0, Root(0), h, resumedAt, k));
    }

    [Fact]
    public void Every_step_between_the_ends_can_be_drawn_and_the_draw_is_bound_to_the_root()
    {
        var drawn = new HashSet<int>();
        for (var i = 0; i < 300; i++)
            drawn.UnionWith(VerificationPolicy.TrainingSteps(Secret, JobId, 0, 0, Root(i), 12, 0, 1));
        Assert.Equal(Enumerable.Range(1, 12), drawn.Order());

        var one = VerificationPolicy.TrainingSteps(Secret, JobId, 0, 0, Root(1), 100, 0, 6);
        Assert.Equal(one, VerificationPolicy.TrainingSteps(Secret.ToArray(), JobId, 0, 0, Root(1), 100, 0, 6));
        Assert.NotEqual(one, VerificationPolicy.TrainingSteps(Secret, JobId, 0, 0, Root(2), 100, 0, 6));
    }

    [Theory]
    [InlineData("gensyn.verification.new-key-samples = 16", 16, false)]
    [InlineData("gensyn.verification.new-key-samples = 0", 0, false)]
    [InlineData("gensyn.verification.new-key-samples = 40", 40, false)]
    [InlineData("gensyn.verification { }", 16, false)]
    [InlineData("gensyn.verification.new-key-samples = -3", 16, true)]
    [InlineData("gensyn.verification.new-key-samples = many", 16, true)]
    [InlineData("gensyn.verification.new-key-samples = 2.5", 16, true)]
    public void The_setting_is_read_and_a_bad_value_is_named_in_one_line_and_the_default_used(
        string hocon, int expected, bool warned)
    {
        var warnings = new List<string>();
        var samples = VerificationPolicy.NewKeySamples(Akka.Configuration.ConfigurationFactory.ParseString(hocon),
            warnings.Add);

        Assert.Equal(expected, samples);
        Assert.Equal(warned ? 1 : 0, warnings.Count);
        Assert.All(warnings, w => Assert.StartsWith("gensyn.verification.new-key-samples = ", w));
        Assert.All(warnings, w => Assert.DoesNotContain('\n', w));
    }

    [Fact]
    public void The_new_key_detection_table_matches_a_simulation_with_the_real_draw()
    {
        const int h = 100, spec = 2, newKey = 16, trials = 4000;
        var random = new Random(17);
        foreach (var faked in new[] { 25, 1 })
        {
            var rows = NewKeyDetection.Rows(spec, newKey, h, faked, results: 50);
            Print(rows, h, faked);
            foreach (var row in rows.Where(r => r.Result is 1 or 11 or 31 or 41))
            {
                // The cheater fakes `faked` steps between the ends, at random; the coordinator draws with a fresh root.
                var caught = 0;
                for (var t = 0; t < trials; t++)
                {
                    var fakedSteps = Enumerable.Range(2, h - 2).OrderBy(_ => random.Next()).Take(faked).ToHashSet();
                    var steps = VerificationPolicy.TrainingSteps(Secret, JobId, row.Result, t, Root(t), h, 0,
                        row.Samples);
                    if (steps.Any(fakedSteps.Contains)) caught++;
                }
                var observed = (double)caught / trials;
                var sigma = Math.Max(Math.Sqrt(row.Detect * (1 - row.Detect) / trials), 0.5 / trials);
                output.WriteLine($"  result {row.Result}: simulated {observed:F4} against exact {row.Detect:F4}");
                Assert.InRange(observed, row.Detect - 4.5 * sigma, row.Detect + 4.5 * sigma);
            }
        }
    }

    private void Print(IReadOnlyList<NewKeyDetectionRow> rows, int h, int faked)
    {
        output.WriteLine(
            $"New key, H = {h}, spec k = 2, new-key-samples = 16, faking {faked} step(s) between the ends:");
        output.WriteLine("  result   k (+2 ends)   P(detect this result)   P(caught within the first N)   before: k   "
                         + "P(detect)   P(caught within N)");
        var missedBefore = 1.0;
        foreach (var r in rows)
        {
            // Before the ramp: the halving rule alone, k drawn among all H steps, no forced ends.
            var k = VerificationPolicy.Samples(2, r.Result - 1);
            var before = DetectionSimulation.Hypergeometric(h, faked, k);
            missedBefore *= 1 - before;
            if (r.Result is 1 or 5 or 10 or 11 or 20 or 21 or 30 or 31 or 40 or 41 or 50)
                output.WriteLine($"  {r.Result,6}   {r.Samples,11}   {r.Detect,21:F4}   {r.CaughtWithin,28:F4}   "
                                 + $"{k,9}   {before,9:F4}   {1 - missedBefore,18:F4}");
        }
    }
}

using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// How many steps a result is challenged on, and which. Trust is earned: a key with no accepted results is checked
/// on <c>gensyn.verification.new-key-samples</c> steps (every step when H is smaller), and that ramp halves for every
/// <see cref="StreakPerHalving"/> results of the key accepted so far, down to the job's <c>verification.samples</c> k.
/// From there a worker with a long record is checked on fewer steps (BOINC-style adaptive replication): k halves for
/// every <see cref="StreakPerHalving"/> accepted results in a row, but never drops below one step; a rejection resets
/// the streak, so the next result is checked on all k again. A training shard's first and last steps are always
/// challenged besides the k drawn (<see cref="TrainingSteps"/>).
/// </summary>
public static class VerificationPolicy
{
    public const int StreakPerHalving = 10;

    /// <summary>HOCON: the steps a result of a key with no accepted results is challenged on.</summary>
    public const string NewKeySamplesSetting = "gensyn.verification.new-key-samples";

    public const int DefaultNewKeySamples = 16;

    /// <summary>
    /// <see cref="NewKeySamplesSetting"/> from <paramref name="config"/>: a whole number at or above 0 (0: no ramp),
    /// <see cref="DefaultNewKeySamples"/> when absent; any other value is reported through <paramref name="warn"/> and
    /// the default used, so a typo never stops verification nor lowers it.
    /// </summary>
    public static int NewKeySamples(Akka.Configuration.Config config, Action<string> warn)
    {
        var raw = config.HasPath(NewKeySamplesSetting) ? config.GetString(NewKeySamplesSetting) : null;
        if (raw is null) return DefaultNewKeySamples;
        if (int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                out var samples)) return samples;
        warn($"{NewKeySamplesSetting} = {raw} is not a whole number of steps (0 or more); using "
             + $"{DefaultNewKeySamples}: fix it in cluster.hocon");
        return DefaultNewKeySamples;
    }

    /// <summary>The number of steps to challenge: k halved per <see cref="StreakPerHalving"/> accepted results in a row, at least 1.</summary>
    public static int Samples(int specSamples, int honestStreak)
    {
        var halvings = Math.Min(30, Math.Max(0, honestStreak) / StreakPerHalving);
        return Math.Max(1, Math.Max(1, specSamples) >> halvings);
    }

    /// <summary>
    /// The number of steps to challenge a result of a key with <paramref name="accepted"/> accepted results (ever)
    /// and <paramref name="honestStreak"/> in a row: the new-key ramp, <paramref name="newKeySamples"/> halved per
    /// <see cref="StreakPerHalving"/> accepted results, while it is above the halving rule's k (see
    /// <see cref="Samples(int,int)"/>); the larger of the two. A ramp of 0 (or below the spec's k) changes nothing.
    /// </summary>
    public static int Samples(int specSamples, int honestStreak, int accepted, int newKeySamples)
    {
        var halvings = Math.Min(30, Math.Max(0, accepted) / StreakPerHalving);
        return Math.Max(Samples(specSamples, honestStreak), Math.Max(0, newKeySamples) >> halvings);
    }

    /// <summary>
    /// Whether a check replays its challenged steps as a chain, each run of consecutive ones from the replay of the one
    /// before (so only a run's first state is opened, and a short gap is replayed rather than opened): a bit-for-bit
    /// check, one in the worker's numeric class. A cross-class check compares every state within a tolerance, and a
    /// possession proof replays nothing; both need every state opened. The one rule the draw
    /// (<see cref="Shards.ShardAttempt.Challenged"/>), the challenge sent to the worker and the judge
    /// (<see cref="ShardJudge"/>) follow.
    /// </summary>
    public static bool Chains(bool crossClass, bool possessionOnly) => !crossClass && !possessionOnly;

    /// <summary>
    /// The longest run of unchallenged segments that a bit-for-bit check replays rather than skips (see
    /// <see cref="ReplayingGaps"/>). Replaying a 25-step mnist-mlp segment costs the verifier about 30 ms of CPU;
    /// skipping it costs the worker a 2.44 MB state, opened, uploaded, stored and hashed.
    /// </summary>
    public const int ReplayedGapSegments = 1;

    /// <summary>
    /// <paramref name="steps"/> (ascending, distinct) with each run of at most <paramref name="maxGap"/> unchallenged
    /// steps between two challenged ones added. A chained check (bit-for-bit, docs/concepts/verification.md) replays
    /// consecutive challenged steps as one run and needs the worker's full state only before each run. So a gap of one
    /// segment in the draw (the first and last, and one drawn between them) costs a state upload, unless the verifier
    /// replays the gap too. Checking more steps never lowers detection, and the draw itself is unchanged.
    /// </summary>
    public static IReadOnlyList<int> ReplayingGaps(IReadOnlyList<int> steps, int maxGap)
    {
        if (maxGap <= 0 || steps.Count < 2) return steps;
        var filled = new List<int>(steps.Count) { steps[0] };
        for (var i = 1; i < steps.Count; i++)
        {
            var gap = steps[i] - steps[i - 1] - 1;
            if (gap > 0 && gap <= maxGap)
                for (var s = steps[i - 1] + 1; s < steps[i]; s++) filled.Add(s);
            filled.Add(steps[i]);
        }
        return filled;
    }

    /// <summary>
    /// The challenged steps of a shard whose first <paramref name="resumedAt"/> steps were inherited from an earlier
    /// worker's checkpoint: k steps drawn (by <see cref="ChallengeSampler"/>, bound to the committed root) among
    /// resumedAt+1..H, ascending.
    /// </summary>
    public static IReadOnlyList<int> Draw(byte[] secret, string jobId, int round, int shard, Sha256Digest root, int innerSteps, int resumedAt, int k)
    {
        var open = innerSteps - Math.Clamp(resumedAt, 0, innerSteps - 1);
        return ChallengeSampler.Draw(secret, jobId, round, shard, root, open, k).Select(s => s + innerSteps - open).ToArray();
    }

    /// <summary>
    /// The challenged steps of a training shard: its first open step (resumedAt+1) and its last step H always, so
    /// that neither the start a worker took nor the end state it delivered escapes the draw, plus k steps drawn (as
    /// <see cref="Draw"/> does) among the steps between them; every open step when there are no more than k + 2.
    /// Ascending and distinct.
    /// </summary>
    public static IReadOnlyList<int> TrainingSteps(byte[] secret, string jobId, int round, int shard, Sha256Digest root,
        int innerSteps, int resumedAt, int k)
    {
        var first = Math.Clamp(resumedAt, 0, innerSteps - 1) + 1;
        var between = innerSteps - first - 1;
        if (between <= 0) return Enumerable.Range(first, innerSteps - first + 1).ToArray();
        var drawn = ChallengeSampler.Draw(secret, jobId, round, shard, root, between, k).Select(s => s + first);
        return [first, .. drawn, innerSteps];
    }
}

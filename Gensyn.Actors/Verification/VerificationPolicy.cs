using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// How many steps a result is challenged on, and which. A worker with a long record of accepted results is
/// checked on fewer steps (BOINC-style adaptive replication): the job's <c>verification.samples</c> k halves
/// for every <see cref="StreakPerHalving"/> accepted results in a row, but never drops below one step; a rejection
/// resets the streak, so the next result is checked on all k again.
/// </summary>
public static class VerificationPolicy
{
    public const int StreakPerHalving = 10;

    /// <summary>The number of steps to challenge: k halved per <see cref="StreakPerHalving"/> accepted results in a row, at least 1.</summary>
    public static int Samples(int specSamples, int honestStreak)
    {
        var halvings = Math.Min(30, Math.Max(0, honestStreak) / StreakPerHalving);
        return Math.Max(1, Math.Max(1, specSamples) >> halvings);
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
}

using Akka.Configuration;
using Gensyn.Contracts;

namespace Gensyn.Actors.Purge;

/// <summary>
/// cluster.hocon <c>gensyn.purge</c>: a full replay that fails for a reason of the verifier's own (not the result's)
/// is tried <paramref name="ReplayAttempts"/> times in all, <paramref name="ReplayRetry"/> apart.
/// </summary>
public sealed record ReplaySettings(int ReplayAttempts, TimeSpan ReplayRetry)
{
    public static readonly ReplaySettings Default = new(ReplayAttempts: 5, ReplayRetry: TimeSpan.FromSeconds(10));

    public static ReplaySettings From(Config config)
    {
        var section = PurgeSettings.Section;
        var settings = new ReplaySettings(
            config.GetInt($"{section}.replay-attempts", Default.ReplayAttempts),
            config.GetTimeSpan($"{section}.replay-retry", Default.ReplayRetry));
        if (settings.ReplayAttempts < 1 || settings.ReplayRetry < TimeSpan.Zero)
            throw new ConfigurationException(
                $"{section}: replay-attempts must be 1 or more and replay-retry 0 or more " +
                $"(got {settings.ReplayAttempts} and {settings.ReplayRetry})");
        return settings;
    }
}

/// <summary>What to do with a convicted key's result after a full replay could not give a root.</summary>
public abstract record ReplayNext
{
    private ReplayNext() { }

    /// <summary>Try again after <see cref="After"/>: attempt <see cref="Attempt"/> of the settings' limit.</summary>
    public sealed record Retry(int Attempt, TimeSpan After) : ReplayNext;

    /// <summary>The result cannot be verified again: revoke it, for <see cref="Reason"/>.</summary>
    public sealed record Unverifiable(string Reason) : ReplayNext;
}

/// <summary>
/// When a convicted key's result cannot be replayed, with no actors in it. Its inputs gone from the coordinator (the
/// journal has no start state for its shard, or the blob store no longer holds that state) is final: the result can
/// never be verified again. A failure of the verifier's own (a fetch, a crash) is tried again a bounded number of
/// times, and then counts the same. Either way the result does not stand unverified: it is revoked (as
/// <see cref="Gensyn.Contracts.Messages.VerdictOutcome.Unverifiable"/>, not fraud: no slash) and recomputed, and the
/// convicted stake pays for it like any revoked result.
/// </summary>
public static class ReplayRule
{
    /// <summary>Why <paramref name="result"/>'s replay cannot even start, or null when its inputs are held:
    /// <paramref name="start"/> is its shard's start state by the journal, <paramref name="held"/> says whether the
    /// coordinator's blob store holds a blob.</summary>
    public static string? InputsGone(JudgedResult result, Sha256Digest? start, Func<Sha256Digest, bool> held)
    {
        if (start is not { } state)
            return $"the journal holds no start state of round {result.Round} shard {result.Shard}";
        return held(state)
            ? null
            : $"the start state {state} of round {result.Round} shard {result.Shard} is no longer held " +
              "(collected from the blob store)";
    }

    /// <summary>What follows the <paramref name="failures"/>-th failed replay (1 for the first) that failed for
    /// <paramref name="failure"/>.</summary>
    public static ReplayNext AfterFailure(int failures, string failure, ReplaySettings settings) =>
        failures < settings.ReplayAttempts
            ? new ReplayNext.Retry(failures + 1, settings.ReplayRetry)
            : new ReplayNext.Unverifiable(
                $"its full replay failed {failures} time(s) on the verifier (last: {failure})");
}

using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;

namespace Gensyn.Testing.Verification;

/// <summary>
/// <c>GENSYN_BLIND_CHALLENGES=WORKER:ROUNDS</c>: the coordinator challenges worker WORKER's results of the rounds below
/// ROUNDS on their last step only, so that a lazy worker whose faked steps lie before it passes its spot-check, as it
/// would by luck with a small k. What it faked is found when it is convicted later, and the purge must undo it.
/// </summary>
public sealed class BlindChallenges(WorkerId worker, int rounds) : IChallengeFaults
{
    public const string Variable = "GENSYN_BLIND_CHALLENGES";

    /// <summary>The blind spot <paramref name="variable"/> asks for, else null (the draw stands).</summary>
    /// <exception cref="ArgumentException">The value is not WORKER:ROUNDS.</exception>
    public static IChallengeFaults? FromEnvironment(Func<string, string?> variable)
    {
        var text = variable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Trim().Split(':');
        if (parts.Length != 2 || parts[0].Length == 0
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var rounds))
            throw new ArgumentException(
                $"{Variable}: expected WORKER:ROUNDS (e.g. cheater:1), got '{text}'; fix or unset it");
        return new BlindChallenges((WorkerId)parts[0], rounds);
    }

    public IReadOnlyList<int> Steps(ShardOrder order, WorkerId worker, IReadOnlyList<int> drawn) =>
        worker == Worker && order.Round < Rounds && drawn.Count > 0 ? [drawn[^1]] : drawn;

    public WorkerId Worker { get; } = worker;

    public int Rounds { get; } = rounds;
}

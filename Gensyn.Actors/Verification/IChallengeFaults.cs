using Gensyn.Actors.Shards;
using Gensyn.Contracts;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Where a spot-check's draw may be narrowed on purpose: nowhere in production (<see cref="NoChallengeFaults"/>); a
/// coordinator whose challenges of one worker's early results miss (Gensyn.Testing, GENSYN_BLIND_CHALLENGES) rehearses
/// a cheat that passed its spot-check, so that its later conviction must purge it.
/// </summary>
public interface IChallengeFaults
{
    /// <summary>The steps to challenge <paramref name="worker"/>'s result of <paramref name="order"/> on, given the
    /// <paramref name="drawn"/> ones (ascending, distinct, among the steps it ran).</summary>
    IReadOnlyList<int> Steps(ShardOrder order, WorkerId worker, IReadOnlyList<int> drawn);
}

/// <summary>The production draw: nothing narrows it.</summary>
public sealed class NoChallengeFaults : IChallengeFaults
{
    public static readonly NoChallengeFaults Instance = new();

    private NoChallengeFaults()
    {
    }

    public IReadOnlyList<int> Steps(ShardOrder order, WorkerId worker, IReadOnlyList<int> drawn) => drawn;
}

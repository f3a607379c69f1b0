using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// A verifier's replay of a shard's first steps: the digests of states 0..c computed from the round's start state,
/// to compare with the step digests a step-c checkpoint carries (the steps a resumed shard took on its maker's word).
/// </summary>
public static class PrefixReplay
{
    /// <summary>
    /// The digests of states 0..<paramref name="localStep"/> of <paramref name="task"/> from <paramref name="start"/>.
    /// </summary>
    public static IReadOnlyList<Sha256Digest> Digests(TrainingSession session, ShardTask task, StateSnapshot start,
        int localStep, CancellationToken ct = default)
    {
        if (localStep < 0 || localStep > task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(localStep),
                $"step {localStep} is outside 0..{task.InnerSteps}");
        var digests = new List<Sha256Digest>(localStep + 1) { start.Digest() };
        var state = start;
        for (var step = 1; step <= localStep; step++)
        {
            ct.ThrowIfCancellationRequested();
            state = session.ReplayStep(task, state, step);
            digests.Add(state.Digest());
        }
        return digests;
    }
}

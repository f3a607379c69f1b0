using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// A verifier's replay of a shard's first steps: the digests of the committed states up to step c (0, c', 2c', ... for
/// a shard committed every c' steps) computed from the round's start state, to compare with the committed digests a
/// step-c checkpoint carries (the steps a resumed shard took on its maker's word).
/// </summary>
public static class PrefixReplay
{
    /// <summary>
    /// The digests of the committed states 0..<paramref name="localStep"/> of <paramref name="task"/> from
    /// <paramref name="start"/> (every state when the task commits every step; the last committed one at or below
    /// <paramref name="localStep"/> ends the list).
    /// </summary>
    public static IReadOnlyList<Sha256Digest> Digests(TrainingSession session, ShardTask task, StateSnapshot start,
        int localStep, CancellationToken ct = default)
    {
        if (localStep < 0 || localStep > task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(localStep),
                $"step {localStep} is outside 0..{task.InnerSteps}");
        var digests = new List<Sha256Digest>(localStep / task.Every + 1) { start.Digest() };
        var state = start;
        for (var leaf = 1; task.LeafStep(leaf) <= localStep && leaf <= task.Segments; leaf++)
        {
            ct.ThrowIfCancellationRequested();
            state = session.ReplaySegment(task, state, leaf);
            digests.Add(state.Digest());
        }
        return digests;
    }
}

using Gensyn.Contracts.Jobs;
using Gensyn.Training.Outer;
using Gensyn.Training.State;

namespace Gensyn.Training.Optimizers;

/// <summary>
/// DiLoCo's outer step. Pseudo-gradients (global − shard end) are summed in shard-index order and
/// divided by the shard count, then applied with Nesterov momentum as torch.optim.SGD(nesterov=True):
/// v = μ·v + Δ;  θ -= lr·(Δ + μ·v). Plain float arithmetic in a fixed order, so the result is the
/// same bit for bit on every machine, whatever the shards' arrival order. The arithmetic is
/// <see cref="OuterStep"/>'s, which also compresses what travels (the spec's <c>outer-compression</c>).
/// </summary>
public static class OuterOptimizer
{
    public const string MomentumPrefix = "outer/";

    /// <param name="global">Global parameters ("param/…") and outer momentum ("outer/param/…") at the round's start.</param>
    /// <param name="shardEnds">Each shard's final state, indexed by shard.</param>
    /// <returns>The next global state (parameters and momentum), step = round count.</returns>
    public static StateSnapshot Apply(StateSnapshot global, IReadOnlyList<StateSnapshot> shardEnds, double lr,
                                      double momentum, long nextRound) =>
        OuterStep.Apply(global, shardEnds, lr, momentum, Uncompressed, nextRound).Next;

    /// <summary>The outer step with nothing compressed: exact fp32 pseudo-gradients and update.</summary>
    public static readonly OuterCompressionSpec Uncompressed = new(OuterCompressionKind.None, 0);
}

using Gensyn.Training.State;

namespace Gensyn.Training.Optimizers;

/// <summary>
/// DiLoCo's outer step. Pseudo-gradients (global − shard end) are summed in shard-index order and
/// divided by the shard count, then applied with Nesterov momentum as torch.optim.SGD(nesterov=True):
/// v = μ·v + Δ;  θ -= lr·(Δ + μ·v). Plain float arithmetic in a fixed order, so the result is the
/// same bit for bit on every machine, whatever the shards' arrival order.
/// </summary>
public static class OuterOptimizer
{
    public const string MomentumPrefix = "outer/";

    /// <param name="global">Global parameters ("param/…") and outer momentum ("outer/param/…") at the round's start.</param>
    /// <param name="shardEnds">Each shard's final state, indexed by shard.</param>
    /// <returns>The next global state (parameters and momentum), step = round count.</returns>
    public static StateSnapshot Apply(StateSnapshot global, IReadOnlyList<StateSnapshot> shardEnds, double lr, double momentum, long nextRound)
    {
        if (shardEnds.Count == 0) throw new ArgumentException("an outer step needs at least one shard result");
        var result = new List<StateTensor>();
        foreach (var param in global.WithPrefix("param/"))
        {
            var n = param.Values.Length;
            var delta = new float[n];
            foreach (var shard in shardEnds)
            {
                var end = shard.Find(param.Name) ?? throw new ArgumentException($"a shard result lacks {param.Name}");
                if (end.Values.Length != n) throw new ArgumentException($"a shard result has the wrong shape for {param.Name}");
                for (var i = 0; i < n; i++) delta[i] += param.Values[i] - end.Values[i];
            }
            var count = (float)shardEnds.Count;
            var velocityOld = global.Find(MomentumPrefix + param.Name)?.Values;
            var velocity = new float[n];
            var updated = new float[n];
            var mu = (float)momentum;
            var rate = (float)lr;
            for (var i = 0; i < n; i++)
            {
                var d = delta[i] / count;
                velocity[i] = (velocityOld is null ? 0f : mu * velocityOld[i]) + d;
                updated[i] = param.Values[i] - rate * (d + mu * velocity[i]);
            }
            result.Add(param with { Values = updated });
            result.Add(new StateTensor(MomentumPrefix + param.Name, param.Shape, velocity));
        }
        return new StateSnapshot(result, nextRound);
    }
}

using Gensyn.Training.Optimizers;
using Gensyn.Training.State;

namespace Gensyn.Tests.Training;

public class OuterOptimizerTests
{
    private static StateSnapshot Global(float[] values, float[]? momentum = null) => new(
        momentum is null
            ? [new StateTensor("param/w", [values.Length], values)]
            : [new StateTensor("param/w", [values.Length], values), new StateTensor("outer/param/w", [values.Length], momentum)], 0);

    private static StateSnapshot Shard(params float[] values) => new([new StateTensor("param/w", [values.Length], values)], 0);

    [Fact]
    public void Averages_pseudo_gradients_and_applies_nesterov_momentum()
    {
        var global = Global([1f, 2f], [0.5f, -0.5f]);
        var next = OuterOptimizer.Apply(global, [Shard(0.8f, 2.2f), Shard(0.6f, 1.6f)], lr: 0.7, momentum: 0.9, nextRound: 3);
        // Δ = mean(θ − θk) = (0.3, 0.1); v = 0.9·v + Δ; θ −= 0.7·(Δ + 0.9·v)
        float[] delta = [((1f - 0.8f) + (1f - 0.6f)) / 2f, ((2f - 2.2f) + (2f - 1.6f)) / 2f];
        float[] v = [0.9f * 0.5f + delta[0], 0.9f * -0.5f + delta[1]];
        Assert.Equal([1f - 0.7f * (delta[0] + 0.9f * v[0]), 2f - 0.7f * (delta[1] + 0.9f * v[1])], next.Find("param/w")!.Values);
        Assert.Equal(v, next.Find("outer/param/w")!.Values);
        Assert.Equal(3, next.Step);
    }

    [Fact]
    public void One_shard_with_unit_rate_and_no_momentum_takes_the_shards_weights()
    {
        var next = OuterOptimizer.Apply(Global([1f, -1f]), [Shard(0.25f, -0.75f)], lr: 1, momentum: 0, nextRound: 1);
        Assert.Equal([0.25f, -0.75f], next.Find("param/w")!.Values);
    }

    [Fact]
    public void A_shard_result_of_the_wrong_shape_is_refused()
    {
        Assert.Throws<ArgumentException>(() => OuterOptimizer.Apply(Global([1f, 2f]), [Shard(1f)], 0.7, 0.9, 1));
    }
}

using Gensyn.Contracts.Jobs;
using Gensyn.Training.Outer;
using Gensyn.Training.State;

namespace Gensyn.Tests.Security;

/// <summary>
/// A worker's only input to the outer step is its end state (committed as leaf H of its Merkle tree). What it
/// contributes is computed from that state and the coordinator's own global state, so a worker can neither choose
/// its error-feedback residual nor smuggle non-finite values past the int8 codec.
/// </summary>
public class OuterPayloadAttackTests
{
    private static readonly OuterCompressionSpec TopK = new(OuterCompressionKind.Int8, 0.1);

    private static StateSnapshot Global(float[] values) =>
        new([new StateTensor("param/w", [values.Length], values)], 0);

    private static float[] Values(int n, float scale) =>
        Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.37f) * scale).ToArray();

    [Fact]
    public void A_residual_in_a_workers_end_state_is_ignored_the_coordinator_keeps_its_own()
    {
        var start = Values(512, 1f);
        var end = start.Select((v, i) => v - Values(512, 0.01f)[i]).ToArray();
        var honest = new StateSnapshot([new StateTensor("param/w", [512], end)], 100);
        var forged = new StateSnapshot(
        [
            new StateTensor("param/w", [512], end),
            new StateTensor(OuterStep.Residual(0, "param/w"), [512], Values(512, 50f)),
        ], 100);

        var expected = OuterStep.Apply(Global(start), [honest], 0.7, 0.9, TopK, 1);
        var attacked = OuterStep.Apply(Global(start), [forged], 0.7, 0.9, TopK, 1);

        Assert.Equal(expected.Next.Digest(), attacked.Next.Digest());
        Assert.Equal(expected.Shards[0], attacked.Shards[0]);
    }

    [Fact]
    public void Non_finite_values_in_an_end_state_reach_the_int8_outer_step_as_zero()
    {
        var start = Values(300, 1f);
        var end = start.Select((v, i) => v - 0.001f).ToArray();
        end[7] = float.NaN;
        end[100] = float.PositiveInfinity;
        var shard = new StateSnapshot([new StateTensor("param/w", [300], end)], 100);

        var next = OuterStep.Apply(Global(start), [shard], 0.7, 0.9, OuterCompressionSpec.Default, 1).Next;

        Assert.All(next.Tensors.SelectMany(t => t.Values), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(start[7], next.Find("param/w")!.Values[7]);
    }
}

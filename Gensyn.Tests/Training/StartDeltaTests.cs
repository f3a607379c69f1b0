using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Outer;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Training;

/// <summary>A worker that trained a shard last round rebuilds the shard's next start state from what it holds and
/// the round's update blob, bit for bit as the coordinator built it.</summary>
public sealed class StartDeltaTests
{
    /// <summary>A round of two shards: its global state, each shard's start and end, and the next round's outer step.
    /// </summary>
    internal sealed record Round(StateSnapshot Global, StateSnapshot[] Starts, StateSnapshot[] Ends, OuterRound Outer)
    {
        public byte[] NextStart(int shard) =>
            CheckpointFile.Serialize(TrainingSession.ShardStart(Outer.Next, Ends[shard], Step));

        public const long Step = 16;
    }

    internal static Round Make(OuterCompressionSpec compression, int seed = 3)
    {
        var random = new Random(seed);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f)];
        StateTensor T(string name, int n) => new(name, [n], Values(n));
        var global = new StateSnapshot([T("param/a", 600), T("param/b", 40), T("outer/param/a", 600),
            T("outer/param/b", 40)], 1);
        var starts = Enumerable.Range(0, 2).Select(_ => TrainingSession.ShardStart(global,
            new StateSnapshot([T("opt/a/exp_avg", 600), T("opt/a/exp_avg_sq", 600)], 8), 8)).ToArray();
        var ends = Enumerable.Range(0, 2).Select(_ => new StateSnapshot([T("param/a", 600), T("param/b", 40),
            T("opt/a/exp_avg", 600), T("opt/a/exp_avg_sq", 600)], Round.Step)).ToArray();
        return new Round(global, starts, ends, OuterStep.Apply(global, ends, 0.7, 0.9, compression, 2));
    }

    public static TheoryData<OuterCompressionKind, double> Codecs => new()
    {
        { OuterCompressionKind.Int8, 0 }, { OuterCompressionKind.Fp16, 0 }, { OuterCompressionKind.None, 0 },
        { OuterCompressionKind.Int8, 0.05 },
    };

    [Theory]
    [MemberData(nameof(Codecs))]
    public void The_rebuilt_start_state_is_the_coordinators_bit_for_bit(OuterCompressionKind kind, double topK)
    {
        var round = Make(new OuterCompressionSpec(kind, topK));

        for (var shard = 0; shard < 2; shard++)
        {
            var expected = round.NextStart(shard);
            var rebuilt = StartDelta.TryRebuild(CheckpointFile.Serialize(round.Starts[shard]),
                CheckpointFile.Serialize(round.Ends[shard]), round.Outer.Update, Round.Step, Sha256Digest.Of(expected));
            Assert.Equal(expected, rebuilt);
        }
    }

    [Fact]
    public void The_update_blob_is_smaller_than_the_start_state_it_replaces()
    {
        var round = Make(OuterCompressionSpec.Default);

        Assert.True(round.Outer.Update.Length * 4 < round.NextStart(0).Length,
            $"update {round.Outer.Update.Length} B against a start state of {round.NextStart(0).Length} B");
    }

    [Fact]
    public void Another_shards_end_state_or_a_cut_blob_rebuilds_nothing()
    {
        var round = Make(OuterCompressionSpec.Default);
        var expected = Sha256Digest.Of(round.NextStart(0));
        var start = CheckpointFile.Serialize(round.Starts[0]);

        Assert.Null(StartDelta.TryRebuild(start, CheckpointFile.Serialize(round.Ends[1]), round.Outer.Update,
            Round.Step, expected));
        Assert.Null(StartDelta.TryRebuild(start, CheckpointFile.Serialize(round.Ends[0]), round.Outer.Update[..^3],
            Round.Step, expected));
        Assert.Null(StartDelta.TryRebuild(start, CheckpointFile.Serialize(round.Ends[0]), [.. round.Outer.Update, 0],
            Round.Step, expected));
    }
}

using Gensyn.Contracts.Jobs;
using Gensyn.Training.Optimizers;
using Gensyn.Training.Outer;
using Gensyn.Training.State;

namespace Gensyn.Tests.Training;

public class OuterCompressionTests
{
    private static float[] Noise(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static StateSnapshot Global(float[] values, params StateTensor[] more) =>
        new([new StateTensor("param/w", [values.Length], values), .. more], 0);

    private static StateSnapshot Shard(float[] values) => new([new StateTensor("param/w", [values.Length], values)], 0);

    [Fact]
    public void Int8_round_trip_is_within_half_a_level_of_each_blocks_scale()
    {
        var values = Noise(1000, 1, 0.01f);
        values[300] = 5f; // one large value in the second block: only that block's scale grows
        var decoded = OuterCodec.Decode(OuterCodec.Encode(values, OuterCompressionKind.Int8), values.Length);

        for (var start = 0; start < values.Length; start += OuterCodec.BlockSize)
        {
            var block = values.Skip(start).Take(OuterCodec.BlockSize).ToArray();
            var scale = block.Max(MathF.Abs) / 127f;
            for (var i = 0; i < block.Length; i++)
                Assert.True(MathF.Abs(decoded[start + i] - block[i]) <= scale / 2 * 1.0001f,
                    $"value {start + i}: {block[i]} decoded as {decoded[start + i]}, scale {scale}");
        }
        Assert.Equal(5f, decoded[300], 5);
    }

    [Fact]
    public void Int8_rounds_half_to_even_and_clamps_to_127_levels()
    {
        // max |x| = 127 gives scale 1: −63.5 → −64 (even), 0.5 → 0 (even), 2.5 → 2, 1.5 → 2.
        var decoded = OuterCodec.Decode(
            OuterCodec.Encode([127f, -63.5f, 0.5f, 2.5f, 1.5f, -127f], OuterCompressionKind.Int8), 6);

        Assert.Equal([127f, -64f, 0f, 2f, 2f, -127f], decoded);
    }

    [Fact]
    public void Fp16_round_trip_is_within_half_an_ulp_of_binary16()
    {
        var values = Noise(700, 2);
        var decoded = OuterCodec.Decode(OuterCodec.Encode(values, OuterCompressionKind.Fp16), values.Length);

        for (var i = 0; i < values.Length; i++)
            Assert.True(MathF.Abs(decoded[i] - values[i]) <= MathF.Max(MathF.Abs(values[i]) * 0.00049f, 3e-8f),
                $"value {i}: {values[i]} decoded as {decoded[i]}");
    }

    [Fact]
    public void None_round_trips_every_bit()
    {
        float[] values = [1.5f, -0f, float.Epsilon, float.MaxValue, 0.1f, float.NaN];
        var decoded = OuterCodec.Decode(OuterCodec.Encode(values, OuterCompressionKind.None), values.Length);

        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), decoded.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(OuterCompressionKind.Int8, 0.0)]
    [InlineData(OuterCompressionKind.Int8, 0.01)]
    [InlineData(OuterCompressionKind.Fp16, 0.05)]
    [InlineData(OuterCompressionKind.None, 0.0)]
    public void The_same_input_gives_the_same_bytes(OuterCompressionKind kind, double topK)
    {
        var first = OuterCodec.Encode(Noise(5000, 3), kind, topK);
        var second = OuterCodec.Encode(Noise(5000, 3), kind, topK);

        Assert.Equal(first, second);
        Assert.NotEqual(first, OuterCodec.Encode(Noise(5000, 4), kind, topK));
    }

    [Fact]
    public void Top_k_keeps_the_largest_magnitudes_with_ties_to_the_lower_index_and_zeros_the_rest()
    {
        float[] values = [0.1f, -3f, 2f, 0.2f, -2f, 0.3f, 1f, 0f, 0.05f, 0.4f];
        var decoded = OuterCodec.Decode(OuterCodec.Encode(values, OuterCompressionKind.None, topK: 0.3), 10);

        // round(0.3 · 10) = 3 kept: −3, then 2 and −2 (equal magnitude; both fit), exactly.
        Assert.Equal([0f, -3f, 2f, 0f, -2f, 0f, 0f, 0f, 0f, 0f], decoded);
        var tie = OuterCodec.Decode(OuterCodec.Encode(values, OuterCompressionKind.None, topK: 0.2), 10);
        Assert.Equal([0f, -3f, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], tie);
    }

    [Fact]
    public void Int8_with_top_k_is_several_hundred_times_smaller_than_fp32()
    {
        var values = Noise(200_000, 5);
        var sparse = OuterCodec.Encode(values, OuterCompressionKind.Int8, topK: 0.01);
        var dense = OuterCodec.Encode(values, OuterCompressionKind.Int8);

        Assert.True(sparse.Length * 100 < values.Length * 4, $"{sparse.Length} bytes for {values.Length} floats");
        Assert.True(dense.Length * 3 < values.Length * 4, $"{dense.Length} bytes for {values.Length} floats");
    }

    [Fact]
    public void A_truncated_or_forged_payload_does_not_decode()
    {
        var payload = OuterCodec.Encode(Noise(600, 6), OuterCompressionKind.Int8, topK: 0.1);

        Assert.Throws<InvalidDataException>(() => OuterCodec.Decode(payload[..^1], 600));
        Assert.Throws<InvalidDataException>(() => OuterCodec.Decode(payload, 50));
        Assert.Throws<InvalidDataException>(() => OuterCodec.Decode([9, 0], 1));
    }

    [Fact]
    public void Int8_step_applies_the_decoded_update_so_a_worker_holding_the_start_rebuilds_the_next_parameters()
    {
        var start = Noise(600, 7);
        var drift = Noise(600, 8, 0.01f);
        var end = start.Select((v, i) => v - drift[i]).ToArray();
        var round = OuterStep.Apply(Global(start), [Shard(end)], 0.7, 0.9, OuterCompressionSpec.Default, 1);

        // One shard, zero momentum before: Δ = decode(encode(start − end)), v = Δ, u = 0.7 · (Δ + 0.9 · v).
        var pseudo = start.Select((v, i) => v - end[i]).ToArray();
        var delta = OuterCodec.Decode(OuterCodec.Encode(pseudo, OuterCompressionKind.Int8), 600);
        var update = delta.Select(d => 0.7f * (d + 0.9f * d)).ToArray();
        var sent = OuterCodec.Decode(OuterCodec.Encode(update, OuterCompressionKind.Int8), 600);
        var expected = start.Select((v, i) => v - sent[i]).ToArray();

        Assert.Equal(expected, round.Next.Find("param/w")!.Values);
        Assert.Equal(2 + 3 * 4 + 600, round.UpdateBytes); // header, three blocks' scales, one byte a value
    }

    [Fact]
    public void Error_feedback_carries_what_a_payload_left_out_into_the_shards_next_round()
    {
        var compression = new OuterCompressionSpec(OuterCompressionKind.Int8, 0.05);
        var start = Noise(400, 9);
        var drift = Noise(400, 10, 0.01f);
        var end = start.Select((v, i) => v - drift[i]).ToArray();
        var first = OuterStep.Apply(Global(start), [Shard(end), Shard(end)], 1, 0, compression, 1);

        var pseudo = start.Select((v, i) => v - end[i]).ToArray();
        var sent = OuterCodec.Decode(OuterCodec.Encode(pseudo, OuterCompressionKind.Int8, 0.05), 400);
        var residual = first.Next.Find(OuterStep.Residual(1, "param/w"))!.Values;
        Assert.Equal(pseudo.Select((p, i) => p - sent[i]), residual);
        Assert.True(residual.Count(r => r != 0) >= 380, "the 380 dropped entries are carried");

        // Round 2: shard 1's payload encodes its new pseudo-gradient plus the residual; the residual then holds the
        // rest of that sum.
        var next = first.Next.Find("param/w")!.Values;
        var drift2 = Noise(400, 11, 0.01f);
        var end2 = next.Select((v, i) => v - drift2[i]).ToArray();
        var second = OuterStep.Apply(first.Next, [Shard(end2), Shard(end2)], 1, 0, compression, 2);
        var carried = next.Select((v, i) => v - end2[i] + residual[i]).ToArray();
        var sent2 = OuterCodec.Decode(OuterCodec.Encode(carried, OuterCompressionKind.Int8, 0.05), 400);
        Assert.Equal(carried.Select((c, i) => c - sent2[i]),
            second.Next.Find(OuterStep.Residual(1, "param/w"))!.Values);
        Assert.NotEqual(first.Shards[1].Digest, second.Shards[1].Digest);
    }

    [Fact]
    public void Without_top_k_no_residual_is_kept()
    {
        var start = Noise(300, 12);
        var round = OuterStep.Apply(Global(start), [Shard(Noise(300, 13))], 0.7, 0.9, OuterCompressionSpec.Default, 1);

        Assert.Empty(round.Next.WithPrefix(OuterStep.ResidualPrefix));
    }
}

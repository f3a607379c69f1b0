using System.Buffers.Binary;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Training.State;

namespace Gensyn.Tests.Determinism;

/// <summary>
/// The state digest as a Merkle root over 1 MiB chunks (docs/concepts/determinism.md), checked against a naive
/// reference written here from the contract alone.
/// </summary>
public class ChunkedStateDigestTests
{
    private const int MiB = 1 << 20;

    /// <summary>
    /// The contract, naively: chunks of 1 MiB, leaf = SHA-256(0x00 ‖ chunk), pairs = SHA-256(0x01 ‖ left ‖ right) with an
    /// unpaired last node moving up, root = SHA-256(0x03 ‖ u64 LE length ‖ top).
    /// </summary>
    private static Sha256Digest Reference(byte[] bytes)
    {
        var level = bytes.Chunk(MiB).Select(chunk => SHA256.HashData([0x00, .. chunk])).ToList();
        while (level.Count > 1)
            level = level.Chunk(2).Select(pair => pair.Length == 2 ? SHA256.HashData([0x01, .. pair[0], .. pair[1]]) : pair[0]).ToList();
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.LongLength);
        return Sha256Digest.FromBytes(SHA256.HashData([0x03, .. length, .. level[0]]));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(1000)]
    [InlineData(MiB - 1)]
    public void A_state_smaller_than_one_chunk_is_a_single_leaf_under_the_length(int length)
    {
        var bytes = RandomBytes(length, length);
        var lengthWord = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(lengthWord, length);
        var expected = Sha256Digest.FromBytes(SHA256.HashData([0x03, .. lengthWord, .. SHA256.HashData([0x00, .. bytes])]));

        Assert.Equal(expected, StateDigest.Of(bytes, parallelism: 1));
        Assert.Equal(expected, StateDigest.Of(bytes, parallelism: 4));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_state_of_exactly_k_MiB_has_k_full_chunks_and_one_more_byte_makes_another(int k)
    {
        var bytes = RandomBytes(k * MiB + 1, k);
        var exact = bytes[..(k * MiB)];

        Assert.Equal(Reference(exact), StateDigest.Of(exact, parallelism: 2));
        Assert.Equal(Reference(bytes), StateDigest.Of(bytes, parallelism: 2));
        Assert.NotEqual(StateDigest.Of(exact), StateDigest.Of(bytes));
        if (k == 2)
        {
            // Written out for two chunks: one inner node over the two leaves.
            var (left, right) = (SHA256.HashData([0x00, .. exact[..MiB]]), SHA256.HashData([0x00, .. exact[MiB..]]));
            var lengthWord = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(lengthWord, 2 * MiB);
            var top = SHA256.HashData([0x01, .. left, .. right]);
            Assert.Equal(Sha256Digest.FromBytes(SHA256.HashData([0x03, .. lengthWord, .. top])), StateDigest.Of(exact));
        }
    }

    [Fact]
    public void The_digest_is_the_same_on_1_2_3_4_and_8_threads()
    {
        var bytes = RandomBytes(5 * MiB + 12_345, 3);
        var one = StateDigest.Of(bytes, parallelism: 1);

        Assert.Equal(Reference(bytes), one);
        foreach (var threads in new[] { 2, 3, 4, 8 })
            Assert.Equal(one, StateDigest.Of(bytes, parallelism: threads));
        Assert.Equal(one, StateDigest.Of(bytes));
    }

    [Fact]
    public void Changing_any_one_byte_or_the_length_changes_the_digest()
    {
        var bytes = RandomBytes(3 * MiB + 100, 4);
        var original = StateDigest.Of(bytes, parallelism: 2);
        foreach (var position in new[] { 0, MiB - 1, MiB, 2 * MiB + 17, bytes.Length - 1 })
        {
            bytes[position] ^= 0x01;
            Assert.NotEqual(original, StateDigest.Of(bytes, parallelism: 2));
            bytes[position] ^= 0x01;
        }
        Assert.Equal(original, StateDigest.Of(bytes, parallelism: 2));
        Assert.NotEqual(original, StateDigest.Of(bytes[..^1], parallelism: 2));
        Assert.NotEqual(original, StateDigest.Of(bytes.Append((byte)0x00).ToArray(), parallelism: 2));
    }

    [Fact]
    public void A_state_snapshot_of_exactly_two_MiB_digests_as_two_chunks()
    {
        // Header: u32 name length + 8-byte name + u32 rank + one i64 dimension = 24 bytes; the step adds 8.
        var values = new float[(2 * MiB - 32) / sizeof(float)];
        new Random(5).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        var state = new StateSnapshot([new StateTensor("param/ww", [values.Length], values)], 9);

        var canonical = state.CanonicalBytes();
        Assert.Equal(2 * MiB, canonical.Length);
        Assert.Equal(Reference(canonical), state.Digest());
    }

    [Fact]
    public void Random_states_digest_as_the_reference_over_their_canonical_bytes_on_any_thread_count()
    {
        var random = new Random(21);
        for (var trial = 0; trial < 24; trial++)
        {
            // Tensors of a few values up to about 1.5 MiB each, so chunk boundaries fall inside values and headers alike.
            var tensors = Enumerable.Range(0, random.Next(1, 7)).Select(i =>
            {
                var size = random.Next(4) == 0 ? random.Next(1, 50) : random.Next(1, 400_000);
                var values = Enumerable.Range(0, size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                return new StateTensor($"param/t{i}.{new string('x', random.Next(0, 40))}", [size], values);
            }).ToList();
            var state = new StateSnapshot(tensors, random.NextInt64(0, long.MaxValue));
            var layout = CanonicalLayout.For(state.Tensors.Select(t => (t.Name, t.Shape)).ToList());
            var values = state.Tensors.Select(t => (ReadOnlyMemory<float>)t.Values).ToList();

            var expected = Reference(state.CanonicalBytes());
            Assert.Equal(expected, state.Digest());
            foreach (var threads in new[] { 1, 2, 4 })
            {
                Assert.Equal(expected, layout.Digest(values, state.Step, threads));
                Assert.Equal(expected, StateDigest.Of(state.CanonicalBytes(), threads));
            }
        }
    }

    [Fact]
    public void An_empty_stream_is_refused()
    {
        Assert.Throws<ArgumentException>(() => StateDigest.Of(Array.Empty<byte>()));
    }
}

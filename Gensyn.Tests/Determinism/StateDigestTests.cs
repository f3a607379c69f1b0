using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts;
using Gensyn.Training.State;

namespace Gensyn.Tests.Determinism;

public class StateDigestTests
{
    [Fact]
    public void The_state_digest_is_the_chunked_merkle_root_over_names_ranks_dimensions_values_and_the_step()
    {
        var random = new Random(7);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var state = new StateSnapshot(
        [
            new StateTensor("param/w", [3, 2], Values(6)),
            new StateTensor("opt/param/w/exp_avg", [3, 2], Values(6)),
            new StateTensor("param/b", [2], Values(2)),
        ], 41);

        // The contract, written out by hand: for each tensor in ordinal name order, u32 name length, UTF-8 name,
        // u32 rank, i64 dimensions, raw little-endian float32 values; then the step as i64. All little-endian.
        using var canonical = new MemoryStream();
        var word = new byte[8];
        foreach (var tensor in state.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var name = Encoding.UTF8.GetBytes(tensor.Name);
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)name.Length);
            canonical.Write(word, 0, 4);
            canonical.Write(name);
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)tensor.Shape.Length);
            canonical.Write(word, 0, 4);
            foreach (var d in tensor.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(word, d);
                canonical.Write(word);
            }
            canonical.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
        }
        BinaryPrimitives.WriteInt64LittleEndian(word, 41);
        canonical.Write(word);

        // One chunk: the digest is SHA-256(0x03 ‖ L ‖ SHA-256(0x00 ‖ bytes)), written out here too.
        var bytes = canonical.ToArray();
        var leaf = SHA256.HashData([0x00, .. bytes]);
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        Assert.Equal(Sha256Digest.FromBytes(SHA256.HashData([0x03, .. length, .. leaf])), state.Digest());
        Assert.Equal(bytes, state.CanonicalBytes());
        var layout = CanonicalLayout.For(state.Tensors.Select(t => (t.Name, t.Shape)).ToList());
        Assert.Equal(canonical.Length, layout.Size);
    }

    [Theory]
    [InlineData(0, 10)]        // short: an ordinary copy
    [InlineData(0, 4096)]
    [InlineData(3, 4096 + 77)] // destination not aligned, tail not a multiple of the block
    [InlineData(31, 813_000)]
    [InlineData(32, 1 << 20)]
    public void A_streaming_copy_copies_every_byte_and_nothing_beyond(int destinationOffset, int length)
    {
        var source = new byte[length];
        new Random(length).NextBytes(source);
        var destination = new byte[destinationOffset + length + 64];
        Array.Fill(destination, (byte)0xAB);

        StreamingCopy.Copy(source, destination.AsSpan(destinationOffset, length));

        Assert.True(source.AsSpan().SequenceEqual(destination.AsSpan(destinationOffset, length)));
        Assert.All(destination[..destinationOffset], b => Assert.Equal(0xAB, b));
        Assert.All(destination[(destinationOffset + length)..], b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void A_streaming_copy_into_a_shorter_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => StreamingCopy.Copy(new byte[8192], new byte[8191]));
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Training.State;

/// <summary>
/// The state digest: a Merkle root over the canonical bytes (<see cref="CanonicalLayout"/>) cut into
/// 1 MiB chunks, whose hashes are computed in parallel. For a stream of L bytes (L ≥ 1):
/// <list type="bullet">
/// <item>chunk i (0 ≤ i &lt; n = ⌈L / 2^20⌉) is bytes [i·2^20, min((i+1)·2^20, L)); only the last may be
///   shorter;</item>
/// <item>leaf i = SHA-256(0x00 ‖ chunk i);</item>
/// <item>each level pairs nodes (2j, 2j+1) into SHA-256(0x01 ‖ left ‖ right); an unpaired last node moves up
///   unchanged; this repeats until one node, the top, is left;</item>
/// <item>digest = SHA-256(0x03 ‖ L as u64 little-endian ‖ top).</item>
/// </list>
/// The tags keep a leaf from passing for an inner node, and the root from passing for a trajectory's root (tag
/// 0x02, <see cref="Verification.MerkleTree"/>); L fixes n and so the tree's shape. The step counter is the
/// stream's last 8 bytes. The result depends on the bytes alone, never on how many threads hashed them.
/// </summary>
public static class StateDigest
{
    /// <summary>Bytes per chunk: 1 MiB.</summary>
    public const int ChunkSize = 1 << 20;

    /// <summary>Threads hashing chunks when none is named: all cores but the training thread's, at least 1.</summary>
    public static int DefaultParallelism => SpareCores(1);

    /// <summary>The cores that <paramref name="busyThreads"/> threads leave free, at least one.</summary>
    public static int SpareCores(int busyThreads) => Math.Max(1, Environment.ProcessorCount - busyThreads);

    /// <summary>The digest of canonical bytes held in one buffer.</summary>
    /// <param name="parallelism">
    /// Threads hashing chunks at once (the calling thread among them); null: <see cref="DefaultParallelism"/>.
    /// </param>
    public static Sha256Digest Of(ReadOnlyMemory<byte> canonical, int? parallelism = null) =>
        Of([new Piece(canonical)], parallelism);

    /// <summary>The digest of canonical bytes given as consecutive pieces (headers, values: never assembled).</summary>
    internal static Sha256Digest Of(IReadOnlyList<Piece> pieces, int? parallelism = null)
    {
        var starts = new long[pieces.Count + 1];
        for (var p = 0; p < pieces.Count; p++) starts[p + 1] = starts[p] + pieces[p].Length;
        var length = starts[^1];
        if (length == 0) throw new ArgumentException("a canonical state has at least its 8-byte step counter");
        var count = checked((int)((length + ChunkSize - 1) / ChunkSize));
        var nodes = new Sha256Digest[count];
        var threads = Math.Max(1, parallelism ?? DefaultParallelism);
        if (threads == 1 || count == 1)
            for (var i = 0; i < count; i++) nodes[i] = HashChunk(pieces, starts, i);
        else
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads },
                i => nodes[i] = HashChunk(pieces, starts, i));

        for (var width = count; width > 1; width = (width + 1) / 2)
            for (var j = 0; j < (width + 1) / 2; j++)
                nodes[j] = 2 * j + 1 < width ? MerkleTree.HashNode(nodes[2 * j], nodes[2 * j + 1]) : nodes[2 * j];

        Span<byte> root = stackalloc byte[1 + sizeof(long) + Sha256Digest.Size];
        root[0] = 0x03;
        BinaryPrimitives.WriteInt64LittleEndian(root[1..], length);
        nodes[0].WriteTo(root[(1 + sizeof(long))..]);
        return Sha256Digest.Of(root);
    }

    /// <summary>SHA-256(0x00 ‖ chunk i), the chunk read from whichever pieces it spans.</summary>
    private static Sha256Digest HashChunk(IReadOnlyList<Piece> pieces, long[] starts, int chunk)
    {
        var from = (long)chunk * ChunkSize;
        var to = Math.Min(from + ChunkSize, starts[^1]);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha256.AppendData([0x00]);
        var p = Array.BinarySearch(starts, from);
        if (p < 0) p = ~p - 1;
        for (; p < pieces.Count && starts[p] < to; p++)
        {
            var start = (int)(Math.Max(from, starts[p]) - starts[p]);
            var end = (int)(Math.Min(to, starts[p + 1]) - starts[p]);
            if (end > start) sha256.AppendData(pieces[p].Span[start..end]);
        }
        Span<byte> hash = stackalloc byte[Sha256Digest.Size];
        sha256.GetHashAndReset(hash);
        return Sha256Digest.FromBytes(hash);
    }


    /// <summary>A run of canonical bytes: raw bytes, or float32 values read as their little-endian bytes.</summary>
    internal readonly struct Piece
    {
        private readonly ReadOnlyMemory<byte> _bytes;
        private readonly ReadOnlyMemory<float> _floats;
        private readonly bool _isFloats;

        public Piece(ReadOnlyMemory<byte> bytes) => _bytes = bytes;

        public Piece(ReadOnlyMemory<float> floats) => (_floats, _isFloats) = (floats, true);

        public long Length => _isFloats ? (long)_floats.Length * sizeof(float) : _bytes.Length;

        public ReadOnlySpan<byte> Span => _isFloats ? MemoryMarshal.AsBytes(_floats.Span) : _bytes.Span;
    }
}

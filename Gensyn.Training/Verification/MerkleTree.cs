using System.Security.Cryptography;
using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>
/// A binary Merkle tree over state digests. Leaves hash as SHA-256(0x00 ‖ digest) and inner nodes as
/// SHA-256(0x01 ‖ left ‖ right), so a leaf can never pass for an inner node. An unpaired last node
/// moves up a level unchanged (no duplication, which would let two leaf lists share a root). The root
/// binds the leaf count too — SHA-256(0x02 ‖ count ‖ top node) — so a proof cannot pass for a tree of another size.
/// </summary>
public sealed class MerkleTree
{
    private readonly List<Sha256Digest[]> _levels = [];

    public MerkleTree(IReadOnlyList<Sha256Digest> leaves)
    {
        if (leaves.Count == 0) throw new ArgumentException("a Merkle tree needs at least one leaf");
        var level = leaves.Select(HashLeaf).ToArray();
        _levels.Add(level);
        while (level.Length > 1)
        {
            var next = new Sha256Digest[(level.Length + 1) / 2];
            for (var i = 0; i < next.Length; i++)
                next[i] = 2 * i + 1 < level.Length ? HashNode(level[2 * i], level[2 * i + 1]) : level[2 * i];
            _levels.Add(next);
            level = next;
        }
    }

    public Sha256Digest Root => BindCount(_levels[^1][0], LeafCount);
    public int LeafCount => _levels[0].Length;

    /// <summary>The sibling hashes from leaf <paramref name="index"/> up to the root.</summary>
    public MerkleProof Prove(int index)
    {
        if (index < 0 || index >= LeafCount) throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} is outside 0..{LeafCount - 1}");
        var siblings = new List<Sha256Digest>();
        var position = index;
        for (var l = 0; l < _levels.Count - 1; l++)
        {
            var sibling = position ^ 1;
            if (sibling < _levels[l].Length) siblings.Add(_levels[l][sibling]);
            position /= 2;
        }
        return new MerkleProof(index, LeafCount, siblings);
    }

    public static Sha256Digest ComputeRoot(IReadOnlyList<Sha256Digest> leaves) => new MerkleTree(leaves).Root;

    /// <summary>True when <paramref name="leaf"/> at the proof's index belongs to a tree with root <paramref name="root"/>.</summary>
    public static bool Verify(Sha256Digest root, Sha256Digest leaf, MerkleProof proof)
    {
        if (proof.LeafCount < 1 || proof.Index < 0 || proof.Index >= proof.LeafCount) return false;
        var hash = HashLeaf(leaf);
        var position = proof.Index;
        var width = proof.LeafCount;
        var used = 0;
        while (width > 1)
        {
            var sibling = position ^ 1;
            if (sibling < width)
            {
                if (used >= proof.Siblings.Count) return false;
                var s = proof.Siblings[used++];
                hash = position % 2 == 0 ? HashNode(hash, s) : HashNode(s, hash);
            }
            position /= 2;
            width = (width + 1) / 2;
        }
        return used == proof.Siblings.Count && BindCount(hash, proof.LeafCount) == root;
    }

    private static Sha256Digest BindCount(Sha256Digest top, int leafCount)
    {
        Span<byte> buffer = stackalloc byte[1 + 4 + Sha256Digest.Size];
        buffer[0] = 0x02;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer[1..], leafCount);
        top.WriteTo(buffer[5..]);
        return Sha256Digest.Of(buffer);
    }

    private static Sha256Digest HashLeaf(Sha256Digest leaf)
    {
        Span<byte> buffer = stackalloc byte[1 + Sha256Digest.Size];
        buffer[0] = 0x00;
        leaf.WriteTo(buffer[1..]);
        return Sha256Digest.Of(buffer);
    }

    private static Sha256Digest HashNode(Sha256Digest left, Sha256Digest right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * Sha256Digest.Size];
        buffer[0] = 0x01;
        left.WriteTo(buffer[1..]);
        right.WriteTo(buffer[(1 + Sha256Digest.Size)..]);
        Span<byte> hash = stackalloc byte[Sha256Digest.Size];
        SHA256.HashData(buffer, hash);
        return Sha256Digest.FromBytes(hash);
    }
}

/// <summary>An inclusion proof: the leaf's index, the tree's leaf count, and the sibling hashes bottom-up.</summary>
public sealed record MerkleProof(int Index, int LeafCount, IReadOnlyList<Sha256Digest> Siblings);

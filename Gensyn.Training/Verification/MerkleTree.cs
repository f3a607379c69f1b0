using System.Security.Cryptography;
using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>
/// A binary Merkle tree over state digests. Leaves hash as SHA-256(0x00 ‖ digest) and inner nodes as
/// SHA-256(0x01 ‖ left ‖ right), so a leaf can never pass for an inner node. An unpaired last node
/// moves up a level unchanged (no duplication, which would let two leaf lists share a root). The root
/// binds the leaf count too — SHA-256(0x02 ‖ count ‖ top node) — so a proof cannot pass for a tree of another size.
/// <para>
/// Level 0 holds the hashed leaves and level <see cref="Height"/> the single top node. <see cref="Node"/>,
/// <see cref="Children"/> and <see cref="Top"/> let a party answer a top-down descent (see <see cref="Bisection"/>);
/// <see cref="TopMatchesRoot"/>, <see cref="ChildrenMatch"/> and <see cref="LeafMatches"/> let a verifier that knows
/// only the root and the leaf count check each answer against the hash it already trusts.
/// </para>
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

    public Sha256Digest Root => BindCount(Top, LeafCount);
    public int LeafCount => _levels[0].Length;

    /// <summary>Levels above the leaves: ceil(log2(LeafCount)); the top node is at this level.</summary>
    public int Height => _levels.Count - 1;

    /// <summary>The top node, which the root binds to the leaf count.</summary>
    public Sha256Digest Top => _levels[^1][0];

    /// <summary>The node at <paramref name="index"/> of <paramref name="level"/> (level 0: the hashed leaves).</summary>
    public Sha256Digest Node(int level, int index)
    {
        if (level < 0 || level > Height) throw new ArgumentOutOfRangeException(nameof(level), $"level {level} is outside 0..{Height}");
        if (index < 0 || index >= _levels[level].Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"node {index} is outside 0..{_levels[level].Length - 1} of level {level}");
        return _levels[level][index];
    }

    /// <summary>
    /// The two nodes of level <paramref name="level"/> − 1 under inner node (<paramref name="level"/>, <paramref name="index"/>).
    /// Right is null when the left child is the unpaired last node that moved up unchanged (then it equals the parent).
    /// </summary>
    public (Sha256Digest Left, Sha256Digest? Right) Children(int level, int index)
    {
        if (level < 1) throw new ArgumentOutOfRangeException(nameof(level), $"level {level} has no children; inner nodes are at levels 1..{Height}");
        _ = Node(level, index);   // throws for a position outside the tree
        var below = _levels[level - 1];
        return (below[2 * index], 2 * index + 1 < below.Length ? below[2 * index + 1] : null);
    }

    /// <summary>How many nodes each level of a tree of <paramref name="leafCount"/> leaves holds, from the leaves (level 0) to the top (1).</summary>
    public static IReadOnlyList<int> LevelWidths(int leafCount)
    {
        if (leafCount < 1) throw new ArgumentOutOfRangeException(nameof(leafCount), "a Merkle tree needs at least one leaf");
        var widths = new List<int> { leafCount };
        while (widths[^1] > 1) widths.Add((widths[^1] + 1) / 2);
        return widths;
    }

    /// <summary>True when <paramref name="top"/> is the top node of a tree of <paramref name="leafCount"/> leaves with root <paramref name="root"/>.</summary>
    public static bool TopMatchesRoot(Sha256Digest root, Sha256Digest top, int leafCount) => BindCount(top, leafCount) == root;

    /// <summary>
    /// True when <paramref name="left"/> and <paramref name="right"/> are the children of <paramref name="parent"/>:
    /// they hash to it, or, with no right child, the left one is the parent moved up unchanged.
    /// </summary>
    public static bool ChildrenMatch(Sha256Digest parent, Sha256Digest left, Sha256Digest? right) =>
        right is { } r ? HashNode(left, r) == parent : left == parent;

    /// <summary>True when the level-0 node <paramref name="leafNode"/> is the hashed leaf of the state digest <paramref name="digest"/>.</summary>
    public static bool LeafMatches(Sha256Digest leafNode, Sha256Digest digest) => HashLeaf(digest) == leafNode;

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

    /// <summary>SHA-256(0x01 ‖ left ‖ right): an inner node here and in <see cref="State.StateDigest"/>.</summary>
    internal static Sha256Digest HashNode(Sha256Digest left, Sha256Digest right)
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

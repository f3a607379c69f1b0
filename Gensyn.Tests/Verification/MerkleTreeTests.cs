using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

public class MerkleTreeTests
{
    private static List<Sha256Digest> Leaves(int n) =>
        Enumerable.Range(0, n).Select(i => Sha256Digest.Of(BitConverter.GetBytes(i))).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(101)]
    public void A_proof_verifies_for_every_leaf(int n)
    {
        var leaves = Leaves(n);
        var tree = new MerkleTree(leaves);
        for (var i = 0; i < n; i++) Assert.True(MerkleTree.Verify(tree.Root, leaves[i], tree.Prove(i)), $"leaf {i} of {n}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(101)]
    public void A_changed_leaf_fails_its_proof(int n)
    {
        var leaves = Leaves(n);
        var tree = new MerkleTree(leaves);
        var forged = Sha256Digest.Of("forged"u8);
        for (var i = 0; i < n; i++) Assert.False(MerkleTree.Verify(tree.Root, forged, tree.Prove(i)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(101)]
    public void A_changed_sibling_fails_the_proof(int n)
    {
        var leaves = Leaves(n);
        var tree = new MerkleTree(leaves);
        for (var i = 0; i < n; i++)
        {
            var proof = tree.Prove(i);
            for (var s = 0; s < proof.Siblings.Count; s++)
            {
                var siblings = proof.Siblings.ToArray();
                siblings[s] = siblings[s] with { D = siblings[s].D ^ 1 };
                Assert.False(MerkleTree.Verify(tree.Root, leaves[i], proof with { Siblings = siblings }), $"leaf {i}, sibling {s}");
            }
        }
    }

    [Fact]
    public void A_proof_for_another_index_or_with_extra_siblings_fails()
    {
        var leaves = Leaves(10);
        var tree = new MerkleTree(leaves);
        var proof = tree.Prove(3);
        Assert.False(MerkleTree.Verify(tree.Root, leaves[3], proof with { Index = 2 }));
        Assert.False(MerkleTree.Verify(tree.Root, leaves[3], proof with { Siblings = [.. proof.Siblings, leaves[0]] }));
        Assert.False(MerkleTree.Verify(tree.Root, leaves[3], proof with { Siblings = proof.Siblings.Take(1).ToList() }));
        Assert.False(MerkleTree.Verify(tree.Root, leaves[3], proof with { Index = -1 }));
        Assert.False(MerkleTree.Verify(tree.Root, leaves[3], proof with { LeafCount = 11 }));
    }

    [Fact]
    public void Roots_differ_when_any_leaf_or_the_leaf_count_differs()
    {
        var leaves = Leaves(6);
        var root = MerkleTree.ComputeRoot(leaves);
        Assert.NotEqual(root, MerkleTree.ComputeRoot(leaves.Take(5).ToList()));
        Assert.NotEqual(root, MerkleTree.ComputeRoot([.. leaves, leaves[^1]]));
        var swapped = leaves.ToList();
        (swapped[1], swapped[2]) = (swapped[2], swapped[1]);
        Assert.NotEqual(root, MerkleTree.ComputeRoot(swapped));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(101)]
    public void Every_node_can_be_checked_top_down_from_the_root_alone(int n)
    {
        var leaves = Leaves(n);
        var tree = new MerkleTree(leaves);
        var widths = MerkleTree.LevelWidths(n);
        Assert.Equal(widths.Count - 1, tree.Height);
        Assert.Equal((int)Math.Ceiling(Math.Log2(n)), tree.Height);
        Assert.Equal(1, widths[^1]);
        Assert.Equal(tree.Top, tree.Node(tree.Height, 0));
        Assert.True(MerkleTree.TopMatchesRoot(tree.Root, tree.Top, n));
        Assert.False(MerkleTree.TopMatchesRoot(tree.Root, tree.Top, n + 1));
        for (var i = 0; i < n; i++)
        {
            Assert.True(MerkleTree.LeafMatches(tree.Node(0, i), leaves[i]), $"leaf {i} of {n}");
            Assert.False(MerkleTree.LeafMatches(tree.Node(0, i), tree.Node(0, i)), "a leaf node is not its own leaf");
        }
        for (var level = 1; level <= tree.Height; level++)
            for (var i = 0; i < widths[level]; i++)
            {
                var parent = tree.Node(level, i);
                var (left, right) = tree.Children(level, i);
                Assert.Equal(2 * i + 1 >= widths[level - 1], right is null);
                Assert.True(MerkleTree.ChildrenMatch(parent, left, right), $"node ({level}, {i}) of {n}");
                var forged = left with { A = left.A ^ 1 };
                Assert.False(MerkleTree.ChildrenMatch(parent, forged, right));
                if (right is { } r)
                {
                    Assert.False(MerkleTree.ChildrenMatch(parent, r, left), "swapped children");
                    Assert.False(MerkleTree.ChildrenMatch(parent, left, null), "a paired node is not an unpaired one");
                }
                else Assert.Equal(parent, left);
            }
    }

    [Fact]
    public void Positions_outside_the_tree_are_refused()
    {
        var tree = new MerkleTree(Leaves(9));
        Assert.Equal(4, tree.Height);
        Assert.Equal(new[] { 9, 5, 3, 2, 1 }, MerkleTree.LevelWidths(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Node(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Node(1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Node(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Children(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Children(2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.LevelWidths(0));
    }
}

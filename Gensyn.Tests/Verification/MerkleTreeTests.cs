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
}

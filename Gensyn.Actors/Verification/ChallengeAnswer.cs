using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// How a worker answers a spot-check (<see cref="OpenSteps"/>): for each challenged step i it opens leaf i − 1 in
/// full (the state the verifier replays from) and leaf i (in full too for a cross-class check), plus leaves 0 and H
/// (the ends); each leaf with its Merkle proof, and each challenged step's leaf signed for the network it was trained on.
/// A chained challenge opens leaf i − 1 in full only when step i − 1 is not challenged too: the verifier replays a run
/// of consecutive steps from the state before its first one. Leaf H (the end state, which a spot-checked worker does
/// not upload with its result) is opened in full unless a chained replay of step H rebuilds it.
/// </summary>
public static class ChallengeAnswer
{
    /// <summary>The challenged steps (valid, distinct, ascending), the leaves to open, and those to open in full.</summary>
    public sealed record Plan(IReadOnlyList<int> Steps, IReadOnlyList<int> Leaves, IReadOnlySet<int> Full)
    {
        /// <summary>
        /// The blob leaf <paramref name="leaf"/> is opened with: none unless it is opened in full; for leaf 0 the
        /// assigned start state <paramref name="start"/>, which the coordinator holds; else what
        /// <paramref name="open"/> rebuilds and stores.
        /// </summary>
        public Sha256Digest? StateOf(int leaf, Sha256Digest start, Func<int, Sha256Digest> open) =>
            !Full.Contains(leaf) ? null : leaf == 0 ? start : open(leaf);
    }

    public static Plan For(IReadOnlyList<int>? steps, int innerSteps, bool withAfter, bool chained = false)
    {
        var valid = (steps ?? []).Where(s => s >= 1 && s <= innerSteps).Distinct().Order().ToList();
        var starts = chained && !withAfter ? valid.Where(s => !valid.Contains(s - 1)) : valid;
        var full = starts.Select(s => s - 1).Concat(withAfter ? valid : []).ToHashSet();
        // The end state: a chained replay of the last step rebuilds it; any other check needs it opened.
        if (!(chained && !withAfter && valid.Contains(innerSteps))) full.Add(innerSteps);
        var leaves = valid.Select(s => s - 1).Concat(valid).Append(0).Append(innerSteps).Distinct().Order().ToList();
        return new Plan(valid, leaves, full);
    }

    /// <summary>One opened leaf of <paramref name="result"/>'s tree; <paramref name="state"/> is the blob of its state when opened in full.</summary>
    public static OpenedLeaf Leaf(Plan plan, int leaf, IReadOnlyList<Sha256Digest> stepDigests, MerkleTree tree, ShardResult result,
                                  Sha256Digest? state, WorkerKey key, ClaimDomain? network = null)
    {
        var digest = stepDigests[leaf];
        var proof = tree.Prove(leaf);
        var signature = plan.Steps.Contains(leaf)
            ? ClaimSigner.Sign(key, new OpeningClaim(result.JobId, result.Round, result.Shard, result.Epoch, result.WorkerId, leaf, digest, result.MerkleRoot, network))
            : null;
        return new OpenedLeaf(leaf, digest, new LeafProof(proof.Index, proof.LeafCount, proof.Siblings), state, signature);
    }
}

using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>Who is at fault in a dispute between the replicas A and B of one shard.</summary>
public enum Culprit { A, B, Both }

/// <summary>What the verifier asks both parties next; both are always asked about the same position.</summary>
public abstract record BisectionQuery;

/// <summary>Reveal your top node (the root binds it to the leaf count).</summary>
public sealed record TopQuery : BisectionQuery;

/// <summary>Reveal the two children of inner node (<see cref="Level"/>, <see cref="Index"/>); level 0 holds the hashed leaves.</summary>
public sealed record ChildrenQuery(int Level, int Index) : BisectionQuery;

/// <summary>
/// Reveal the raw state digest at <see cref="Leaf"/> and, when <see cref="Leaf"/> ≥ 1, the raw digest at
/// <see cref="Leaf"/> − 1 with its inclusion proof.
/// </summary>
public sealed record LeafQuery(int Leaf) : BisectionQuery;

/// <summary>A party's answer to a <see cref="BisectionQuery"/>.</summary>
public abstract record BisectionAnswer;

/// <summary>The answer to a <see cref="TopQuery"/>.</summary>
public sealed record TopAnswer(Sha256Digest Top) : BisectionAnswer;

/// <summary>The answer to a <see cref="ChildrenQuery"/> (see <see cref="MerkleTree.Children"/>).</summary>
public sealed record ChildrenAnswer(Sha256Digest Left, Sha256Digest? Right) : BisectionAnswer;

/// <summary>The answer to a <see cref="LeafQuery"/>: the claimed digest at the leaf, and the digest before it with its proof (not for leaf 0).</summary>
public sealed record LeafAnswer(Sha256Digest Claim, Sha256Digest? Before = null, MerkleProof? BeforeProof = null) : BisectionAnswer;

/// <summary>How a bisection ended; <see cref="Reason"/> is one line for logs and the requester.</summary>
public abstract record BisectionOutcome(string Reason);

/// <summary>
/// Both parties answered consistently with their own roots, and their trees first differ at <see cref="Leaf"/>:
/// they agree on the state digest <see cref="AgreedBefore"/> at leaf <see cref="Leaf"/> − 1 (null for leaf 0) and
/// claim <see cref="ClaimA"/> and <see cref="ClaimB"/> at <see cref="Leaf"/>. Each digest is proven against its
/// party's root, so the <see cref="Referee"/> can settle it by replaying one step.
/// </summary>
public sealed record Divergence(int Leaf, Sha256Digest? AgreedBefore, Sha256Digest ClaimA, Sha256Digest ClaimB)
    : BisectionOutcome(Leaf == 0
        ? $"the trees first differ at leaf 0, the start state: A claims {Bisection.Short(ClaimA)}, B claims {Bisection.Short(ClaimB)}"
        : $"the trees agree up to leaf {Leaf - 1} ({(AgreedBefore is { } d ? Bisection.Short(d) : "?")}) and first differ at leaf {Leaf}: A claims {Bisection.Short(ClaimA)}, B claims {Bisection.Short(ClaimB)}");

/// <summary><see cref="Party"/> gave an answer that does not fit its own committed root (or none, or a malformed one): it loses at once.</summary>
public sealed record BisectionFault(Culprit Party, string Reason) : BisectionOutcome(Reason);

/// <summary>
/// Refereed delegation between two replicas of a shard (after Verde): a pure state machine that finds the
/// leftmost leaf where two Merkle trees of H + 1 state digests differ, talking to each party only through
/// hashes. The verifier knows only H and the two roots, which differ.
/// <list type="number">
/// <item>Both parties reveal their top node; each must bind to that party's root (<see cref="MerkleTree.TopMatchesRoot"/>).</item>
/// <item>From the top (which differs), both reveal the children of the current node; each pair must hash to
/// that party's own node (<see cref="MerkleTree.ChildrenMatch"/>). The descent goes left when the left children
/// differ, else right, so every leaf left of the current node is equal in both trees. A node whose only child is
/// the unpaired last node equals that child, so the verifier descends through it without asking.</item>
/// <item>At leaf j, both reveal the raw digest there (it must hash to their proven leaf node) and, for j ≥ 1, the
/// raw digest at leaf j − 1 with an inclusion proof against their root; that leaf is equal in both trees, so the
/// two proofs prove the same digest, the state both agree on before step j.</item>
/// </list>
/// That takes at most ceil(log2(H + 1)) + 2 exchanges. A party whose answer is missing, of the wrong kind, or
/// inconsistent with its own root loses at once (<see cref="BisectionFault"/>); an honest party always answers
/// consistently, so it can never lose here. Nothing here throws on a party's answer. Drive it with
/// <see cref="Next"/> and <see cref="Submit"/> (remote parties) or <see cref="Run"/> (in-process ones); parties
/// answer with <see cref="Answer"/>.
/// </summary>
public sealed class Bisection
{
    private readonly Sha256Digest _rootA, _rootB;
    private readonly IReadOnlyList<int> _widths;
    private int _level, _index;
    private Sha256Digest _nodeA, _nodeB;

    /// <summary>
    /// Starts a dispute over a shard of <paramref name="innerSteps"/> committed segments
    /// (<see cref="Training.ShardTask.Segments"/>: H when every step is committed); the roots must differ (equal roots
    /// are no dispute).
    /// </summary>
    public Bisection(int innerSteps, Sha256Digest rootA, Sha256Digest rootB)
    {
        if (innerSteps < 1) throw new ArgumentOutOfRangeException(nameof(innerSteps), $"a shard has at least one step, got {innerSteps}");
        if (rootA == rootB) throw new ArgumentException($"both roots are {Short(rootA)}: the replicas agree, there is nothing to dispute");
        (_rootA, _rootB) = (rootA, rootB);
        LeafCount = innerSteps + 1;
        _widths = MerkleTree.LevelWidths(LeafCount);
        Next = new TopQuery();
    }

    /// <summary>Segments + 1: the leaves of each committed tree.</summary>
    public int LeafCount { get; }

    /// <summary>What to ask both parties next; null once <see cref="Outcome"/> is set.</summary>
    public BisectionQuery? Next { get; private set; }

    /// <summary>How the dispute ended; null while it goes on.</summary>
    public BisectionOutcome? Outcome { get; private set; }

    /// <summary>Query/answer rounds so far (one round asks both parties the same query).</summary>
    public int Exchanges { get; private set; }

    /// <summary>Bytes both parties sent so far, counting 32 per hash (proof siblings included); indices and counts are not counted.</summary>
    public long BytesMoved { get; private set; }

    /// <summary>Checks both parties' answers to <see cref="Next"/> and moves on; returns the outcome once there is one.</summary>
    public BisectionOutcome? Submit(BisectionAnswer? answerA, BisectionAnswer? answerB)
    {
        var query = Next ?? throw new InvalidOperationException($"the bisection is over: {Outcome!.Reason}");
        Exchanges++;
        BytesMoved += Bytes(answerA) + Bytes(answerB);
        switch (query)
        {
            case TopQuery:
                if (Faults<TopAnswer>(query, answerA, answerB, (root, _, answer) => MerkleTree.TopMatchesRoot(root, answer.Top, LeafCount)
                        ? null : $"its top node {Short(answer.Top)} does not bind to its root {Short(root)} for {LeafCount} leaves")) break;
                (_nodeA, _nodeB) = (((TopAnswer)answerA!).Top, ((TopAnswer)answerB!).Top);
                (_level, _index) = (_widths.Count - 1, 0);
                Descend();
                break;
            case ChildrenQuery c:
                if (Faults<ChildrenAnswer>(query, answerA, answerB, (_, node, answer) => answer.Right is null
                        ? $"it gave one child of node ({c.Level}, {c.Index}), which has two"
                        : MerkleTree.ChildrenMatch(node, answer.Left, answer.Right) ? null
                        : $"the children it gave of node ({c.Level}, {c.Index}) do not hash to its own node {Short(node)}")) break;
                var (a, b) = ((ChildrenAnswer)answerA!, (ChildrenAnswer)answerB!);
                (_level, _index) = (_level - 1, 2 * _index);
                if (a.Left != b.Left) (_nodeA, _nodeB) = (a.Left, b.Left);
                else (_nodeA, _nodeB, _index) = (a.Right!.Value, b.Right!.Value, _index + 1);
                Descend();
                break;
            case LeafQuery l:
                if (Faults<LeafAnswer>(query, answerA, answerB, (root, node, answer) => LeafProblem(l.Leaf, root, node, answer))) break;
                var (claimA, claimB) = ((LeafAnswer)answerA!, (LeafAnswer)answerB!);
                Finish(new Divergence(l.Leaf, l.Leaf == 0 ? null : claimA.Before, claimA.Claim, claimB.Claim));
                break;
        }
        return Outcome;
    }

    /// <summary>Runs the whole dispute against two in-process parties; a party that throws counts as giving no answer.</summary>
    public BisectionOutcome Run(Func<BisectionQuery, BisectionAnswer?> askA, Func<BisectionQuery, BisectionAnswer?> askB)
    {
        while (Next is { } query) Submit(Ask(askA, query), Ask(askB, query));
        return Outcome!;

        static BisectionAnswer? Ask(Func<BisectionQuery, BisectionAnswer?> ask, BisectionQuery query)
        {
            try
            {
                return ask(query);
            }
            catch (Exception)
            {
                return null;
            }
        }
    }

    /// <summary>An honest party's answer from its tree and its step digests 0..H.</summary>
    public static BisectionAnswer Answer(MerkleTree tree, IReadOnlyList<Sha256Digest> stepDigests, BisectionQuery query) => query switch
    {
        TopQuery => new TopAnswer(tree.Top),
        ChildrenQuery c => tree.Children(c.Level, c.Index) switch { var (left, right) => new ChildrenAnswer(left, right) },
        LeafQuery { Leaf: 0 } => new LeafAnswer(stepDigests[0]),
        LeafQuery l => new LeafAnswer(stepDigests[l.Leaf], stepDigests[l.Leaf - 1], tree.Prove(l.Leaf - 1)),
        _ => throw new ArgumentException($"unknown query {query}"),
    };

    internal static string Short(Sha256Digest digest) => digest.ToString()[..12];

    /// <summary>Goes down through nodes whose only child moved up unchanged, then sets the next query.</summary>
    private void Descend()
    {
        while (_level > 0 && 2 * _index + 1 >= _widths[_level - 1]) (_level, _index) = (_level - 1, 2 * _index);
        Next = _level == 0 ? new LeafQuery(_index) : new ChildrenQuery(_level, _index);
    }

    /// <summary>The problem with a party's answer for leaf <paramref name="leaf"/>, or null when it is proven.</summary>
    private string? LeafProblem(int leaf, Sha256Digest root, Sha256Digest leafNode, LeafAnswer answer)
    {
        if (!MerkleTree.LeafMatches(leafNode, answer.Claim))
            return $"its digest {Short(answer.Claim)} for leaf {leaf} does not hash to its own leaf node {Short(leafNode)}";
        if (leaf == 0) return null;
        if (answer.Before is not { } before || answer.BeforeProof is not { Siblings: not null } proof)
            return $"it gave no digest or no proof for leaf {leaf - 1}";
        if (proof.Index != leaf - 1 || proof.LeafCount != LeafCount)
            return $"its proof is for leaf {proof.Index} of {proof.LeafCount}, expected leaf {leaf - 1} of {LeafCount}";
        return MerkleTree.Verify(root, before, proof) ? null
            : $"its digest {Short(before)} for leaf {leaf - 1} is not in its tree (the proof does not lead to its root {Short(root)})";
    }

    /// <summary>
    /// Checks both answers with <paramref name="check"/> (given the party's root and current node); when either
    /// fails, ends the bisection with a fault on it (or on both) and returns true.
    /// </summary>
    private bool Faults<T>(BisectionQuery query, BisectionAnswer? answerA, BisectionAnswer? answerB, Func<Sha256Digest, Sha256Digest, T, string?> check)
        where T : BisectionAnswer
    {
        var problemA = Problem(Culprit.A, answerA, _rootA, _nodeA);
        var problemB = Problem(Culprit.B, answerB, _rootB, _nodeB);
        if (problemA is null && problemB is null) return false;
        Finish(problemA is not null && problemB is not null
            ? new BisectionFault(Culprit.Both, $"{problemA}; {problemB}")
            : new BisectionFault(problemA is null ? Culprit.B : Culprit.A, (problemA ?? problemB)!));
        return true;

        string? Problem(Culprit party, BisectionAnswer? answer, Sha256Digest root, Sha256Digest node)
        {
            if (answer is null) return $"{party} gave no answer to {Describe(query)}";
            if (answer is not T typed) return $"{party} answered {Describe(query)} with a {answer.GetType().Name}";
            try
            {
                return check(root, node, typed) is { } problem ? $"{party}: {problem}" : null;
            }
            catch (Exception e)
            {
                return $"{party}'s answer to {Describe(query)} could not be checked: {e.GetType().Name}: {e.Message}";
            }
        }
    }

    private void Finish(BisectionOutcome outcome) => (Outcome, Next) = (outcome, null);

    private static string Describe(BisectionQuery query) => query switch
    {
        TopQuery => "the query for its top node",
        ChildrenQuery c => $"the query for the children of node ({c.Level}, {c.Index})",
        LeafQuery l => $"the query for leaf {l.Leaf}",
        _ => query.GetType().Name,
    };

    private static long Bytes(BisectionAnswer? answer) => Sha256Digest.Size * answer switch
    {
        TopAnswer => 1L,
        ChildrenAnswer c => c.Right is null ? 1 : 2,
        LeafAnswer l => 1 + (l.Before is null ? 0 : 1) + (l.BeforeProof?.Siblings?.Count ?? 0),
        _ => 0,
    };
}

using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// What a coordinator asks of a shard's worker: open the segments <see cref="Steps"/> (in 1..<see cref="Segments"/>; the
/// steps themselves when c = 1) of the tree with root <see cref="Root"/>.
/// </summary>
/// <param name="StartStep">The optimizer step counter of the shard's start state, when the verifier knows it: the state before segment i must then carry StartStep + the local step of leaf i − 1.</param>
public sealed record SpotCheckChallenge(ShardTask Task, Sha256Digest Root, IReadOnlyList<int> Steps, long? StartStep = null)
{
    /// <summary>H, the shard's inner steps.</summary>
    public int InnerSteps => Task.InnerSteps;

    /// <summary>ceil(H / c): the committed tree has Segments + 1 leaves, the digests of the states after local steps 0, c, ..., H.</summary>
    public int Segments => Task.Segments;

    /// <summary>How a verdict names segment <paramref name="segment"/>: "step i" when c = 1, else "segment i (steps a..b)".</summary>
    public string Name(int segment) => Task.Every == 1 || segment < 1 || segment > Segments
        ? $"step {segment}"
        : $"segment {segment} (steps {Task.LeafStep(segment - 1) + 1}..{Task.LeafStep(segment)})";
}

/// <summary>One leaf of the committed tree as the worker claims it: the digest and its inclusion proof.</summary>
public sealed record LeafOpening(Sha256Digest Digest, MerkleProof Proof);

/// <summary>
/// A worker's answer for challenged segment <see cref="Step"/> (1-based; the step itself when c = 1): the state before
/// it (leaf Step − 1, opened in full), and leaf Step (the digest of the state after it). <see cref="After"/> opens the state
/// after in full too; only the cross-class tolerance check needs it. <see cref="Before"/> is null in a chained opening,
/// where segment Step − 1 is challenged too: the verifier starts from its own replay of that segment.
/// </summary>
public sealed record StepOpening(int Step, StateSnapshot? Before, LeafOpening BeforeLeaf, LeafOpening AfterLeaf,
    StateSnapshot? After = null)
{
    /// <summary>An honest worker's opening of <paramref name="step"/> from its step digests (0..H) and the states before/after the step.</summary>
    public static StepOpening Create(int step, IReadOnlyList<Sha256Digest> stepDigests, StateSnapshot before, StateSnapshot? after = null) =>
        Create(step, new MerkleTree(stepDigests), stepDigests, before, after);

    /// <summary>As <see cref="Create(int, IReadOnlyList{Sha256Digest}, StateSnapshot, StateSnapshot?)"/>, reusing a built tree.</summary>
    public static StepOpening Create(int step, MerkleTree tree, IReadOnlyList<Sha256Digest> stepDigests, StateSnapshot before, StateSnapshot? after = null) =>
        new(step, before, new LeafOpening(stepDigests[step - 1], tree.Prove(step - 1)), new LeafOpening(stepDigests[step], tree.Prove(step)), after);
}

public enum VerdictKind { Accepted, Fraud, Malformed }

/// <summary>Why an opening could not be checked (a <see cref="VerdictKind.Malformed"/> verdict).</summary>
public enum Malformation
{
    None,
    /// <summary>An opening for a step that was not challenged (or lies outside 1..H).</summary>
    StepNotAsked,
    /// <summary>A challenged step without an opening.</summary>
    MissingStep,
    /// <summary>Two openings for the same step.</summary>
    DuplicateStep,
    /// <summary>A proof for another leaf than i − 1 (before) or i (after), or for a tree of another size than H + 1.</summary>
    WrongLeaf,
    /// <summary>A proof that does not lead from its leaf to the committed root.</summary>
    ForgedProof,
    /// <summary>An opened state whose own digest is not the leaf it was proven as.</summary>
    StateDigestMismatch,
    /// <summary>An opened state whose tensors do not fit the job's model (names, shapes, value counts).</summary>
    WrongShapes,
    /// <summary>An opened state whose optimizer step counter is not the one its position implies.</summary>
    WrongStepCounter,
    /// <summary>Missing pieces or anything else that made the opening impossible to check.</summary>
    Unreadable,
}

/// <summary>
/// Proof of a wrong step: replaying <see cref="Step"/> from the proven state before it gives
/// <see cref="Expected"/>, while the worker committed <see cref="Claimed"/> for the state after it.
/// <see cref="RelativeError"/> is set by the tolerance check (the measured update error that exceeded the tolerance).
/// </summary>
public sealed record FraudEvidence(int Step, Sha256Digest Expected, Sha256Digest Claimed, double? RelativeError = null);

/// <summary>
/// The outcome of a spot-check. <see cref="Reason"/> is one line for logs and the requester.
/// <see cref="Step"/> names the step at fault when there is one; <see cref="RelativeError"/> is the
/// largest update error measured by the tolerance check (null for bit-exact checks).
/// </summary>
public sealed record SpotCheckVerdict(
    VerdictKind Kind,
    string Reason,
    int? Step = null,
    FraudEvidence? Evidence = null,
    Malformation Malformation = Malformation.None,
    double? RelativeError = null)
{
    public bool IsAccepted => Kind == VerdictKind.Accepted;

    public static SpotCheckVerdict Accept(string reason, double? relativeError = null) =>
        new(VerdictKind.Accepted, reason, RelativeError: relativeError);

    public static SpotCheckVerdict Fraud(FraudEvidence evidence, string reason) =>
        new(VerdictKind.Fraud, reason, evidence.Step, evidence, RelativeError: evidence.RelativeError);

    public static SpotCheckVerdict Malformed(Malformation malformation, int? step, string reason) =>
        new(VerdictKind.Malformed, reason, step, Malformation: malformation);

    public override string ToString() => $"{Kind}{(Malformation == Malformation.None ? "" : $" ({Malformation})")}: {Reason}";
}

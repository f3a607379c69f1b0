using Akka.Actor;

namespace Gensyn.Contracts.Messages;

// Spot-check verification: after a worker commits (ShardResult), its ShardActor asks it to open the
// challenged states, and a verifier replays the challenged steps.

/// <summary>A Merkle inclusion proof on the wire: the leaf's index, the tree's leaf count, the sibling hashes bottom-up.</summary>
public sealed record LeafProof(int Index, int LeafCount, IReadOnlyList<Sha256Digest> Siblings);

/// <summary>
/// Open the committed states around <see cref="Steps"/> (1-based inner steps): for each step i the full state
/// after step i − 1 and the leaf of step i (its full state too when <see cref="WithAfter"/>: a verifier of
/// another numeric class compares updates within a tolerance), plus proofs for leaves 0 and H (the ends).
/// </summary>
public sealed record OpenSteps(string JobId, int Round, int Shard, int Epoch, IReadOnlyList<int> Steps, bool WithAfter) : IGensynMessage;

/// <summary>
/// One opened leaf: the digest of the state after local step <see cref="Leaf"/>, its proof against the committed
/// root, and the blob holding that state when it was asked for in full (already uploaded to the coordinator).
/// The leaf of each challenged step carries the worker's <see cref="Signature"/> over an
/// <see cref="Signing.OpeningClaim"/> of (step, digest, root): the claim a failed replay proves false. Other leaves
/// need none: their proofs tie them to the root the worker signed in its result.
/// </summary>
public sealed record OpenedLeaf(int Leaf, Sha256Digest Digest, LeafProof Proof, Sha256Digest? State, string? Signature);

/// <summary>A worker's answer to <see cref="OpenSteps"/>.</summary>
public sealed record StepsOpened(string JobId, int Round, int Shard, int Epoch, string WorkerId, IReadOnlyList<OpenedLeaf> Leaves) : IGensynMessage;

/// <summary>
/// Judge a result: replay <see cref="Steps"/> from the opened states and compare with the committed ones.
/// States are blobs in the store behind <see cref="Blobs"/>. <see cref="StartStep"/> is the optimizer step
/// counter of the shard's start state; <see cref="CrossClass"/> selects the tolerance check.
/// </summary>
public sealed record VerifyShard(
    string JobId,
    string SpecYaml,
    string BaseDirectory,
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    string WorkerAddress,
    Sha256Digest Root,
    Sha256Digest StartState,
    Sha256Digest EndState,
    IReadOnlyList<int> Steps,
    IReadOnlyList<OpenedLeaf> Leaves,
    bool CrossClass,
    IActorRef Blobs) : IGensynMessage;

public enum VerdictOutcome
{
    /// <summary>Every challenged step replays to what the worker committed.</summary>
    Accepted,
    /// <summary>A challenged step does not replay to the committed state: the evidence proves a false claim.</summary>
    Fraud,
    /// <summary>The answer could not be checked: a forged proof, a state that is not what was committed, a bad signature...</summary>
    Invalid,
    /// <summary>The worker did not answer the challenge in time.</summary>
    Unavailable,
}

/// <summary>
/// A verifier's judgement. For <see cref="VerdictOutcome.Fraud"/>, <see cref="Step"/> is the step at fault,
/// <see cref="Expected"/> the digest its replay gives and <see cref="Claimed"/> the one the worker committed
/// (and signed); <see cref="RelativeError"/> is the largest update error of a tolerance check;
/// <see cref="VerifySeconds"/> the verifier's time for it.
/// </summary>
public sealed record ShardVerdict(
    string JobId,
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    VerdictOutcome Outcome,
    string Reason,
    int? Step = null,
    Sha256Digest? Expected = null,
    Sha256Digest? Claimed = null,
    string? ClaimSignature = null,
    double? RelativeError = null,
    double VerifySeconds = 0) : IGensynMessage
{
    public bool IsAccepted => Outcome == VerdictOutcome.Accepted;
}

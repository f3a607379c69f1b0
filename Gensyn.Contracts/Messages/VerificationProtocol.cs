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
/// <see cref="Chained"/> (a bit-for-bit check): the state after step i − 1 is opened in full only when step i − 1 is
/// not challenged itself, since the verifier replays consecutive challenged steps as one run and starts each later
/// step of the run from its own replay of the step before, which it has checked against that step's leaf.
/// </summary>
public sealed record OpenSteps(JobId JobId, int Round, int Shard, int Epoch, IReadOnlyList<int> Steps, bool WithAfter,
    bool Chained = false) : IGensynMessage;

/// <summary>
/// One opened leaf: the digest of the state after local step <see cref="Leaf"/>, its proof against the committed
/// root, and the blob holding that state when it was asked for in full (already uploaded to the coordinator).
/// The leaf of each challenged step carries the worker's <see cref="Signature"/> over an
/// <see cref="Signing.OpeningClaim"/> of (step, digest, root): the claim a failed replay proves false. Other leaves
/// need none: their proofs tie them to the root the worker signed in its result.
/// </summary>
public sealed record OpenedLeaf(int Leaf, Sha256Digest Digest, LeafProof Proof, Sha256Digest? State, string? Signature);

/// <summary>A worker's answer to <see cref="OpenSteps"/>.</summary>
public sealed record StepsOpened(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, IReadOnlyList<OpenedLeaf> Leaves) : IGensynMessage;

/// <summary>
/// Judge a result: replay <see cref="Steps"/> from the opened states and compare with the committed ones.
/// States are blobs in the store behind <see cref="Blobs"/>; <see cref="CrossClass"/> selects the tolerance check.
/// With <see cref="PossessionOnly"/> (replicas whose roots agree) nothing is replayed: the worker only proves it
/// holds the committed states it opened. With <see cref="Inference"/> (an inference shard) nothing is opened: <see cref="EndState"/>
/// is the worker's predictions and <see cref="StartState"/> the model; the verifier recomputes the batches in <see cref="Steps"/> (1-based).
/// Signed openings are checked under <see cref="Network"/>, the coordinator's EIP-712 domain (no chain when null).
/// <see cref="Spec"/> names the job's spec, whose YAML is a blob behind <see cref="Blobs"/> too.
/// <see cref="ResumedFrom"/>: the signed checkpoints the worker's steps 1..c rest on, ascending: the last one of each
/// earlier worker that a later one resumed from, then the step-c checkpoint the worker resumed from (null: it ran
/// every step). The verifier then replays steps 1..c from <see cref="StartState"/> first, and the first checkpoint
/// that does not replay is its maker's fraud (<see cref="ShardVerdict.Checkpoint"/>), never the worker's.
/// <see cref="EndFromReplay"/>: the worker did not upload <see cref="EndState"/>; a bit-for-bit replay of the last
/// segment rebuilds it, it must serialise to that blob, and the verifier stores it in <see cref="Blobs"/>.
/// </summary>
public sealed record VerifyShard(
    JobId JobId,
    Jobs.SpecRef Spec,
    string BaseDirectory,
    int Round,
    int Shard,
    int Epoch,
    WorkerId WorkerId,
    string WorkerAddress,
    Sha256Digest Root,
    Sha256Digest StartState,
    Sha256Digest EndState,
    IReadOnlyList<int> Steps,
    IReadOnlyList<OpenedLeaf> Leaves,
    bool CrossClass,
    IActorRef Blobs,
    bool PossessionOnly = false,
    bool Inference = false,
    Signing.ClaimDomain? Network = null,
    IReadOnlyList<ShardCheckpointSaved>? ResumedFrom = null,
    bool EndFromReplay = false) : IGensynMessage;

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
    /// <summary>The verifier itself failed (its session, the coordinator's own state): nobody is blamed; the shard runs again. Never journalled.</summary>
    Inconclusive,
    /// <summary>A convicted key's accepted result that can no longer be verified (its inputs are gone, or its replay kept failing):
    /// revoked after the fact and recomputed, not slashed. Only a <see cref="ResultRevoked"/> carries it.</summary>
    Unverifiable,
}

/// <summary>
/// A verifier's judgement. For <see cref="VerdictOutcome.Fraud"/>, <see cref="Step"/> is the step at fault,
/// <see cref="Expected"/> the digest its replay gives and <see cref="Claimed"/> the one the worker committed
/// (and signed); <see cref="RelativeError"/> is the largest update error of a tolerance check;
/// <see cref="VerifySeconds"/> the verifier's time for it; <see cref="VerifierId"/> the cluster address (host:port)
/// of the node that judged it (null for a verdict the shard reached itself). With <see cref="Checkpoint"/> the verdict
/// is on that checkpoint, which the worker resumed from, and blames its maker
/// (<see cref="ShardCheckpointSaved.WorkerId"/>, key <see cref="ShardCheckpointSaved.Maker"/>, with
/// <see cref="ClaimSignature"/> its signature over the checkpoint): the worker's own steps were not judged, and it is
/// not blamed.
/// </summary>
public sealed record ShardVerdict(
    JobId JobId,
    int Round,
    int Shard,
    int Epoch,
    WorkerId WorkerId,
    VerdictOutcome Outcome,
    string Reason,
    int? Step = null,
    Sha256Digest? Expected = null,
    Sha256Digest? Claimed = null,
    string? ClaimSignature = null,
    double? RelativeError = null,
    double VerifySeconds = 0,
    string? VerifierId = null,
    ShardCheckpointSaved? Checkpoint = null) : IGensynMessage
{
    public bool IsAccepted => Outcome == VerdictOutcome.Accepted;
}

// Replicated mode (refereed delegation): two workers of different providers run the same shard. Each seals
// its root before either reveals it; equal roots are accepted (after each replica proves it holds a state
// it committed to); different roots are bisected to the first divergent step, which a referee replays.

/// <summary>A replica's commitment before it reveals: SHA-256 over (root, a secret salt, its worker id); see ReplicaSeal.</summary>
public sealed record ShardSealed(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, Sha256Digest Seal) : IGensynMessage;

/// <summary>Both replicas sealed: reveal the result (a <see cref="ShardResult"/> carrying the salt that opens the seal).</summary>
public sealed record RevealShard(JobId JobId, int Round, int Shard, int Epoch) : IGensynMessage;

public enum BisectStep { Top, Children, Leaf }

/// <summary>One bisection question: the top node, the children of node (<see cref="Level"/>, <see cref="Index"/>), or leaf <see cref="Index"/> with leaf Index − 1 proven.</summary>
public sealed record BisectQuery(JobId JobId, int Round, int Shard, int Epoch, BisectStep Step, int Level, int Index) : IGensynMessage;

/// <summary>
/// A replica's answer to a <see cref="BisectQuery"/>: Top → <see cref="First"/>; Children → <see cref="First"/> (left) and
/// <see cref="Second"/> (right, absent for an unpaired child); Leaf → <see cref="First"/> (the claimed digest) and the leaf
/// before it (<see cref="Before"/>, <see cref="BeforeProof"/>).
/// </summary>
public sealed record BisectReply(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, BisectStep Step,
                                 Sha256Digest? First, Sha256Digest? Second, Sha256Digest? Before, LeafProof? BeforeProof) : IGensynMessage;

/// <summary>
/// Replay the one disputed step: leaf <see cref="Leaf"/> of two replicas' trees, from the state both agree on
/// (<see cref="AgreedBefore"/>, opened as blob <see cref="BeforeState"/>); answered with a <see cref="RefereeVerdict"/>.
/// </summary>
public sealed record RefereeStep(JobId JobId, Jobs.SpecRef Spec, string BaseDirectory, int Round, int Shard, int Leaf,
                                 Sha256Digest? AgreedBefore, Sha256Digest ClaimA, Sha256Digest ClaimB, Sha256Digest StartState,
                                 Sha256Digest? BeforeState, IActorRef Blobs) : IGensynMessage;

/// <summary>
/// Which replica's claim is false: "A", "B" or "Both"; none when the opened state was not the agreed one (ask the other
/// replica). <see cref="VerifierId"/>: the cluster address (host:port) of the node whose referee ruled.
/// </summary>
public sealed record RefereeVerdict(
    JobId JobId, int Round, int Shard, string? Culprit, string Reason, int Step, Sha256Digest? Expected,
    string? VerifierId = null) : IGensynMessage;

/// <summary>
/// A job is starting: every verifier loads what judging its results needs (the spec, the dataset, the job's session)
/// now, beside its first round's training, instead of on the first result. The spec and dataset blobs are in the
/// store behind <see cref="Blobs"/>. A verifier answers nothing; a failure is logged, and the first result loads it.
/// </summary>
public sealed record PrepareVerification(JobId JobId, Jobs.SpecRef Spec, string BaseDirectory, IActorRef Blobs) : IGensynMessage;

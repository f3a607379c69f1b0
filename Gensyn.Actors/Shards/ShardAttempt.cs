using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Shards;

/// <summary>
/// What a shard challenged its worker with: the committed <see cref="Result"/>, the <see cref="Steps"/> (or, for an
/// inference shard, the batches) asked for, the <see cref="Secret"/> they were drawn from (revealed in the journal),
/// and whether the worker only proves it holds the states (<see cref="PossessionOnly"/>: replicas that agree).
/// </summary>
public sealed record ShardChallenge(ShardResult Result, IReadOnlyList<int> Steps, byte[] Secret, bool PossessionOnly);

/// <summary>
/// What a shard makes of a result: <see cref="Stale"/> (not the current assignment's: fenced out, ignored), refused
/// with a <see cref="Refusal"/> (the worker is let go; <see cref="CountsAsFailure"/> against the shard), or admitted.
/// </summary>
public sealed record Admission(bool Stale, string? Refusal = null, bool CountsAsFailure = false)
{
    public static readonly Admission Fenced = new(Stale: true);
    public static readonly Admission Admitted = new(Stale: false);
    public bool IsAdmitted => !Stale && Refusal is null;
}

/// <summary>
/// One worker's attempt at a shard, from the scheduler's grant to the verdict: the rules a shard actor applies,
/// without the actor. The grant names the worker, its key (<see cref="Address"/>), its honest streak and numeric
/// class, and how many of its key's results were accepted so far; the parent's confirmation gives the
/// <see cref="Epoch"/> that fences out every earlier assignment; a result is admitted only if it is the current
/// epoch's, its end state was uploaded and the worker's key signed it; the steps to challenge are drawn after the
/// commitment from a fresh secret. A resumed attempt keeps the signed checkpoints it resumed from
/// (<see cref="ResumedFrom"/>, its lineage), whose steps the verifier replays. Immutable: each rule returns a new
/// attempt.
/// </summary>
public sealed record ShardAttempt(
    WorkerId WorkerId,
    string Address,
    int HonestStreak,
    string NumericClass,
    int Epoch = -1,
    int ResumedAt = 0,
    ShardChallenge? Challenge = null,
    Sha256Digest? Seal = null,
    int Accepted = 0,
    IReadOnlyList<ShardCheckpointSaved>? ResumedFrom = null)
{
    public static ShardAttempt Of(WorkerGranted granted) =>
        new(granted.WorkerId, granted.Address, granted.HonestStreak, granted.NumericClass, Accepted: granted.Accepted);

    /// <summary>Whether the parent journalled the assignment (until then the worker has been told nothing).</summary>
    public bool Confirmed => Epoch >= 0;

    /// <summary>The journalled assignment; <paramref name="resumedAt"/>: the checkpoint's step it resumes at.</summary>
    public ShardAttempt Confirm(int epoch, int resumedAt = 0) => this with { Epoch = epoch, ResumedAt = resumedAt };

    /// <summary>
    /// Resumes from the last of <paramref name="lineage"/>, a signed checkpoint of step c (after those it rests on):
    /// this worker runs steps c+1..H, and the verifier replays 1..c against them (<see cref="CheckpointReplay"/>).
    /// </summary>
    public ShardAttempt Resuming(IReadOnlyList<ShardCheckpointSaved> lineage) =>
        this with { ResumedAt = lineage[^1].LocalStep, ResumedFrom = lineage };

    /// <summary>
    /// Whether the worker may take its next shard as soon as it commits this one's result, before the verdict: only
    /// when its key's last <paramref name="streak"/> results were accepted (as of the grant). A new key, or one just
    /// rejected, waits for its verdict, so it can hold no second shard before it is judged.
    /// </summary>
    public bool FreeAtCommit(int streak) => HonestStreak >= streak;

    /// <summary>The fence: only the confirmed epoch's worker speaks for the shard.</summary>
    public bool Current(int epoch, WorkerId workerId) => Confirmed && epoch == Epoch && workerId == WorkerId;

    /// <summary>Whether the worker's numeric class differs from the verifiers' (then the tolerance check).</summary>
    public bool CrossClass(ShardOrder order) => NumericClass != order.NumericClass;

    /// <summary>Whether the open challenge is checked within a tolerance (a cross-class replay; a possession proof
    /// replays nothing) and whether it replays as a chain (<see cref="VerificationPolicy.Chains"/>).</summary>
    public (bool CrossClass, bool Chained) CheckOf(ShardOrder order)
    {
        var possessionOnly = Challenge?.PossessionOnly ?? false;
        return (CrossClass(order) && !possessionOnly, VerificationPolicy.Chains(CrossClass(order), possessionOnly));
    }

    /// <summary>The steps this worker ran itself: those after the checkpoint it resumed from.</summary>
    public int StepsRun(ShardOrder order) => order.InnerSteps - ResumedAt;

    /// <summary>
    /// Whether <paramref name="result"/> may be judged: the current epoch's (else fenced out), naming an end state
    /// that is in the store (<paramref name="stored"/>) unless its verifier rebuilds it (<paramref name="rebuilt"/>),
    /// and signed by the granted key for <paramref name="network"/> (null: the chain is not known yet, so nothing can
    /// be checked and nobody is blamed).
    /// </summary>
    public Admission Admit(ShardOrder order, ShardResult result, Func<Sha256Digest, bool> stored, ClaimDomain? network,
        bool rebuilt = false)
    {
        if (!Current(result.Epoch, result.WorkerId) || !order.Names(result.JobId, result.Round, result.Shard))
            return Admission.Fenced;
        if (!rebuilt && !stored(result.EndState))
            return new(false, $"its result names end state {result.EndState}, which it never uploaded", true);
        if (network is null)
            return new(false,
                "this coordinator does not know its chain yet, so it cannot check the result's signature");
        var signature = ClaimSigner.Check(ShardResultClaim.From(result, network), result.Signature, Address);
        return signature.Valid
            ? Admission.Admitted
            : new(false, $"its result is not signed by its registered key {Address} ({signature.Reason})", true);
    }

    /// <summary>
    /// Whether a reported checkpoint may be journalled for a resume: the current epoch's (else fenced out), uploaded
    /// (<paramref name="stored"/>), and signed by the granted key for <paramref name="network"/>, since a resume trusts
    /// its steps to the checkpoint's maker. A refused checkpoint is never used; the worker is not let go for it (its
    /// result is judged on its own).
    /// </summary>
    public Admission AdmitCheckpoint(ShardOrder order, ShardCheckpointed c, Func<Sha256Digest, bool> stored,
        ClaimDomain? network)
    {
        if (!Current(c.Epoch, c.WorkerId) || !order.Names(c.JobId, c.Round, c.Shard)) return Admission.Fenced;
        if (!stored(c.Checkpoint)) return new(false, $"checkpoint {c.Checkpoint} was never uploaded");
        if (network is null)
            return new(false,
                "this coordinator does not know its chain yet, so it cannot check the checkpoint's signature");
        var signature = ClaimSigner.Check(CheckpointClaim.From(c, network), c.Signature, Address);
        return signature.Valid
            ? Admission.Admitted
            : new(false, $"checkpoint {c.Checkpoint} (step {c.LocalStep}) is not signed by its registered key {Address} "
                         + $"({signature.Reason}); it is never used for a resume");
    }

    /// <summary>
    /// Draws the steps to challenge from <paramref name="secret"/>, bound to the committed root so the worker could not
    /// know them, among the steps the worker ran itself: <paramref name="newKeySamples"/> for a key with no accepted
    /// results, falling as they accumulate to the job's k, fewer for a long honest streak but never none
    /// (<see cref="VerificationPolicy.Samples(int,int,int,int)"/>). A training shard's first and last steps are
    /// challenged besides (<see cref="VerificationPolicy.TrainingSteps"/>), and a same-class check replays a gap of one
    /// segment between challenged ones too (<see cref="VerificationPolicy.ReplayingGaps"/>).
    /// </summary>
    public ShardAttempt Challenged(ShardOrder order, ShardResult result, byte[] secret, int newKeySamples)
    {
        var k = VerificationPolicy.Samples(order.Samples, HonestStreak, Accepted, newKeySamples);
        var steps = order.Kind == Contracts.Jobs.JobKind.Train
            ? VerificationPolicy.TrainingSteps(
                secret, order.JobId, order.Round, order.Shard, result.MerkleRoot, order.Segments,
                order.SegmentsBefore(ResumedAt), k)
            : VerificationPolicy.Draw(
                secret, order.JobId, order.Round, order.Shard, result.MerkleRoot, order.InnerSteps, ResumedAt, k);
        // A chained training check replays a short gap rather than open the state after it.
        if (order.Kind == Contracts.Jobs.JobKind.Train && VerificationPolicy.Chains(CrossClass(order), false))
            steps = VerificationPolicy.ReplayingGaps(steps, VerificationPolicy.ReplayedGapSegments);
        return this with { Challenge = new(result, steps, secret, PossessionOnly: false) };
    }

    /// <summary>Replicas that agree prove they hold the states before the given steps; nothing is replayed.</summary>
    public ShardAttempt ProvingPossession(ShardResult result, IReadOnlyList<int> steps) =>
        this with { Challenge = new(result, steps, [], PossessionOnly: true) };

    /// <summary>A replica's sealed root (<see cref="ReplicaSeal"/>), which its revealed result must open.</summary>
    public ShardAttempt Sealing(Sha256Digest seal) => this with { Seal = seal };

    /// <summary>A replica's revealed result, judged by the pair (or refused if it does not open the seal).</summary>
    public ShardAttempt Revealed(ShardResult result) => this with { Challenge = new(result, [], [], false) };

    /// <summary>A replica that never revealed: an empty result under its epoch stands in for it.</summary>
    public ShardAttempt Unrevealed(ShardOrder order) => Revealed(
        new ShardResult(order.JobId, order.Round, order.Shard, Epoch, WorkerId, default, default, [], ""));

    /// <summary>Why a revealed result does not open the seal the replica committed to (null: it does).</summary>
    public string? SealRefusal(ShardResult result)
    {
        var hex = result.Salt is { Length: 2 * ReplicaSeal.SaltSize } s && s.All(Uri.IsHexDigit) ? s : "";
        var salt = Convert.FromHexString(hex);
        return Seal is { } seal && ReplicaSeal.Opens(seal, result.MerkleRoot, salt, result.WorkerId)
            ? null
            : $"its revealed root {result.MerkleRoot.ToString()[..12]} does not open the seal it committed to "
              + "(a copied result)";
    }

    public ShardVerdict Verdict(ShardOrder order, VerdictOutcome outcome, string reason) =>
        new(order.JobId, order.Round, order.Shard, Epoch, WorkerId, outcome, reason);
}

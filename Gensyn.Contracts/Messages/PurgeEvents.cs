namespace Gensyn.Contracts.Messages;

// Purging a convicted key's work: the conviction, results rejected after the fact, and the rollback of a job whose
// model had already taken one of them in.

/// <summary>Why a key was convicted.</summary>
public enum ConvictionGround
{
    /// <summary>A replayed step disproved a claim the key signed.</summary>
    Fraud,
    /// <summary>The key answered a challenge with something that cannot be checked (a forged proof, a bad
    /// signature, a state that is not the committed one).</summary>
    InvalidAnswer,
    /// <summary>The key left challenges unanswered, again and again, while its session was alive.</summary>
    Refusal,
}

/// <summary>
/// <see cref="Address"/> is convicted: every result of it that a job accepted is to be verified again in full.
/// <see cref="EvidenceHash"/> (keccak-256, hex) names the verdict that convicted it; <see cref="Job"/> the job whose
/// verdict did (null in a conviction journalled before it was recorded).
/// </summary>
public sealed record KeyConvicted(string Address, ConvictionGround Ground, string Reason, string EvidenceHash,
                                  DateTimeOffset At, string? Job = null) : IGensynMessage;

/// <summary>
/// A result this job had accepted failed its full re-verification after the fact (or, <see cref="Outcome"/>
/// unverifiable, a convicted key's result could no longer be verified): it is rejected, with
/// <see cref="EvidenceHash"/> (keccak-256, hex) naming the evidence, and slashed when <see cref="Outcome"/> is fraud.
/// <see cref="Aggregated"/>: whether the job's model had already taken it in (then a <see cref="RoundsRolledBack"/>
/// follows).
/// </summary>
public sealed record ResultRevoked(
    int Round,
    int Shard,
    int Epoch,
    WorkerId WorkerId,
    string WorkerAddress,
    VerdictOutcome Outcome,
    string Reason,
    Sha256Digest MerkleRoot,
    string EvidenceHash,
    bool Aggregated,
    DateTimeOffset At) : IJobEvent;

/// <summary>
/// Job <see cref="JobId"/> returns to the start of round <see cref="FromRound"/> because a result aggregated into it
/// was revoked (<see cref="Reason"/>, <see cref="EvidenceHash"/>). The round states of <see cref="DiscardedRounds"/>
/// (completed or open) are discarded; the job recomputes from <see cref="RestoredGlobal"/> and
/// <see cref="RestoredShardEnds"/>, the global state and shard end states after round FromRound − 1 (both null when
/// FromRound is 0: the job starts over from its initial model).
/// </summary>
public sealed record RoundsRolledBack(
    JobId JobId,
    int FromRound,
    string Reason,
    string EvidenceHash,
    IReadOnlyList<int> DiscardedRounds,
    Sha256Digest? RestoredGlobal,
    IReadOnlyList<Sha256Digest>? RestoredShardEnds,
    DateTimeOffset At) : IJobEvent;

/// <summary>
/// A completed job's mark: <see cref="Address"/>, a key whose accepted results (<see cref="Results"/> of them) the
/// job's model took in, was convicted after the job ended (<see cref="Ground"/>, <see cref="Reason"/>;
/// <see cref="EvidenceHash"/>, keccak-256 hex, names the verdict that convicted it). <c>gensyn audit JOB</c>
/// re-verifies those results.
/// </summary>
public sealed record AuditDue(
    string Address,
    ConvictionGround Ground,
    string Reason,
    string EvidenceHash,
    int Results,
    DateTimeOffset At) : IJobEvent;

/// <summary>
/// Completed job <see cref="JobId"/> reopens: an audit revoked a result its model had taken in
/// (<see cref="Reason"/>, <see cref="EvidenceHash"/>). A <see cref="RoundsRolledBack"/> to round
/// <see cref="FromRound"/> follows in the same write; the job recomputes from there and completes again. Its escrow
/// closed when it first completed: the convicted stake pays the recomputation (docs/concepts/settlement.md, "An
/// audit's recomputation").
/// </summary>
public sealed record JobReopened(JobId JobId, int FromRound, string Reason, string EvidenceHash, DateTimeOffset At)
    : IJobEvent;

/// <summary>One <see cref="AuditDue"/> mark as a job's status shows it.</summary>
public sealed record AuditView(string Address, string Ground, string Reason, string EvidenceHash, int Results,
                               DateTimeOffset At);

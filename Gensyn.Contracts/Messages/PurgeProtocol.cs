using Akka.Actor;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Contracts.Messages;

// Between the job actors, the conviction board (a coordinator singleton) and the verifiers: who convicts, and how a
// convicted key's accepted results are verified again in full.

/// <summary>Job <see cref="JobId"/> journalled <see cref="Verdict"/>; <see cref="SessionAlive"/>: whether the
/// worker's session was alive when the verdict was given (an unanswered challenge is refusal only then).</summary>
public sealed record ReportVerdict(JobId JobId, ShardVerified Verdict, bool SessionAlive) : IGensynMessage;

/// <summary>Job <see cref="JobId"/> asks the board for every conviction so far (after it recovered): each is answered
/// as a <see cref="PurgeKey"/>.</summary>
public sealed record GetConvictions(JobId JobId) : IGensynMessage;

/// <summary>Job <see cref="JobId"/> is to purge its accepted results of the key <see cref="Conviction"/>
/// names.</summary>
public sealed record PurgeKey(JobId JobId, KeyConvicted Conviction) : IJobCommand;

/// <summary>
/// Run shard <see cref="Shard"/> of round <see cref="Round"/> again in full from <see cref="StartState"/> (a blob in
/// the store behind <see cref="Blobs"/>, as is the spec <see cref="Spec"/> names) and report the Merkle root of its steps, to compare with the root a worker
/// committed. Determinism makes the roots equal for an honest result.
/// </summary>
public sealed record ReplayShard(
    JobId JobId,
    SpecRef Spec,
    string BaseDirectory,
    int Round,
    int Shard,
    Sha256Digest StartState,
    IActorRef Blobs) : IGensynMessage;

/// <summary>The answer to <see cref="ReplayShard"/>: the recomputed root, or why there is none.</summary>
public sealed record ShardReplayed(JobId JobId, int Round, int Shard, Sha256Digest? Root, string? Failure,
                                   double Seconds) : IGensynMessage;

/// <summary>
/// One step of a purge, as a job's status shows it: a result revoked after the fact (<see cref="Action"/>
/// "revoked": its round, shard, worker and key), or a rollback ("rolled-back": <see cref="Round"/> is the round the job
/// returned to the start of, <see cref="DiscardedRounds"/> the round states it discarded, and
/// <see cref="RecomputedSeconds"/> the wall seconds from the rollback until the job had aggregated every one of them
/// again; null until then).
/// </summary>
public sealed record PurgeView(
    string Action,
    int Round,
    int? Shard,
    string? WorkerId,
    string? WorkerAddress,
    string Reason,
    string EvidenceHash,
    IReadOnlyList<int> DiscardedRounds,
    DateTimeOffset At,
    double? RecomputedSeconds = null);

/// <summary>The requester asks completed job <see cref="JobId"/> to verify again in full every result, in its
/// model, of each key it is marked for (<see cref="AuditDue"/>). Answered with an <see cref="AuditReport"/> once every
/// replay is done.</summary>
public sealed record AuditJob(JobId JobId) : IJobCommand;

/// <summary>What an audit found: <see cref="Keys"/> audited, <see cref="Replayed"/> results verified again in full,
/// <see cref="Revoked"/> of them revoked (their shard's replay gave another root than the one their worker
/// signed).</summary>
public sealed record AuditReport(JobId JobId, IReadOnlyList<string> Keys, int Replayed, int Revoked)
    : IGensynMessage;

namespace Gensyn.Contracts.Messages;

// What a JobActor persists. Blobs are referred to by hash; replaying these events rebuilds the job's state.

public interface IJobEvent : IGensynMessage
{
    DateTimeOffset At { get; }
}

/// <summary>
/// A job was accepted; on a settling network <see cref="Payer"/> deposited <see cref="DepositMicros"/> in escrow for it.
/// <see cref="Price"/>: the price it locked (null in journals written before prices came from the market).
/// </summary>
public sealed record JobSubmitted(JobId JobId, string SpecYaml, string BaseDirectory, DateTimeOffset At, string? Payer = null, long DepositMicros = 0,
                                  JobPrice? Price = null, string? Owner = null) : IJobEvent;

/// <summary>A settlement order of this job reached its outcome on chain (see <see cref="SettlementSettled"/>).</summary>
public sealed record SettlementPosted(SettlementOrder Order, SettlementSettled Outcome, DateTimeOffset At) : IJobEvent;

/// <summary>
/// Round <see cref="Round"/> starts from <see cref="GlobalState"/>; shard i starts from ShardStarts[i]. For an inference job
/// (one round, every shard starting from the model) <see cref="ShardSteps"/>[i] is shard i's number of batches; a training
/// shard has the spec's inner-steps.
/// </summary>
public sealed record RoundStarted(int Round, Sha256Digest GlobalState, IReadOnlyList<Sha256Digest> ShardStarts, IReadOnlyList<long> ShardStartSizes, DateTimeOffset At,
                                  IReadOnlyList<int>? ShardSteps = null) : IJobEvent;

public sealed record ShardAssigned(int Round, int Shard, int Epoch, WorkerId WorkerId, DateTimeOffset At) : IJobEvent;

/// <summary>
/// An assignment ended without a result (the worker failed, vanished, stalled or was busy); the shard will be
/// assigned again. <see cref="CountsAsFailure"/> is false when the worker merely could not take the work.
/// </summary>
public sealed record ShardReleased(int Round, int Shard, int Epoch, WorkerId WorkerId, string Reason, DateTimeOffset At, bool CountsAsFailure = true) : IJobEvent;

/// <summary>
/// The worker of the current epoch uploaded its step-<see cref="LocalStep"/> checkpoint: a reassignment resumes from it.
/// <see cref="Maker"/> is the key that signed it and <see cref="Signature"/> its <see cref="Signing.CheckpointClaim"/>
/// signature: the evidence should a replay not reproduce it (both null in journals written before checkpoints were signed).
/// </summary>
public sealed record ShardCheckpointSaved(int Round, int Shard, int Epoch, WorkerId WorkerId, int LocalStep, Sha256Digest Checkpoint, DateTimeOffset At,
    string? Maker = null, string? Signature = null) : IJobEvent;

/// <summary>A checkpoint failed its hash or would not load: it is never used; the shard restarts from the round's start state.</summary>
public sealed record ShardCheckpointDiscarded(int Round, int Shard, Sha256Digest Checkpoint, string Reason, DateTimeOffset At) : IJobEvent;

/// <summary>
/// A verifier judged the result of one assignment. Accepted results are followed by <see cref="ShardCompleted"/>;
/// a rejected one (fraud, an invalid answer, no answer) sends the shard to another worker and excludes this one
/// from the job. <see cref="ChallengeSecret"/> (hex) is revealed here so anyone can recompute which
/// <see cref="Steps"/> were drawn for the committed <see cref="MerkleRoot"/>; for fraud, <see cref="Step"/>,
/// <see cref="Expected"/>, <see cref="Claimed"/> and the worker's signatures are the evidence for slashing.
/// <see cref="VerifierId"/>: the cluster address (host:port) of the node whose verifier judged it; null when the shard
/// itself decided (a seal the result does not open) and in journals written before it was recorded.
/// With <see cref="Checkpoint"/> the verdict is on that signed checkpoint, not on a result: its maker (this
/// <see cref="WorkerId"/>, <see cref="Epoch"/> and key) claimed <see cref="Steps"/> (1..c) that a replay from the
/// round's start state does not reproduce; <see cref="MerkleRoot"/> is then the checkpoint's blob hash and
/// <see cref="ResultSignature"/> and <see cref="ClaimSignature"/> the maker's signature over its CheckpointClaim.
/// </summary>
public sealed record ShardVerified(
    int Round,
    int Shard,
    int Epoch,
    WorkerId WorkerId,
    string WorkerAddress,
    VerdictOutcome Outcome,
    string Reason,
    Sha256Digest MerkleRoot,
    string ResultSignature,
    IReadOnlyList<int> Steps,
    string ChallengeSecret,
    int? Step,
    Sha256Digest? Expected,
    Sha256Digest? Claimed,
    string? ClaimSignature,
    double? RelativeError,
    double TrainSeconds,
    double VerifySeconds,
    DateTimeOffset At,
    string? VerifierId = null,
    Sha256Digest? Checkpoint = null) : IJobEvent;

/// <summary>
/// In replicated mode, replica <see cref="Replica"/>'s worker committed to its result with <see cref="Seal"/> before
/// either replica revealed one (journals written before seals were journaled have none; nothing depends on them).
/// </summary>
public sealed record ReplicaSealed(int Round, int Shard, int Epoch, int Replica, WorkerId WorkerId, Sha256Digest Seal,
                                   DateTimeOffset At) : IJobEvent;

public sealed record ShardCompleted(int Round, int Shard, int Epoch, WorkerId WorkerId, Sha256Digest EndState, Sha256Digest MerkleRoot, double MeanLoss, DateTimeOffset At) : IJobEvent;

/// <summary>The outer step is done: <see cref="GlobalState"/> is the new global state blob, <see cref="StateDigest"/> its canonical digest.
/// <see cref="Uncounted"/>: the keys convicted in the job whose verdicts the round's payment threshold does not count, and whom
/// the round does not pay (null in a journal written before that rule: every verdict counts, as it did then).
/// <see cref="TestAccuracy"/>, <see cref="TestLoss"/>, <see cref="TestPerplexity"/>: the new global state on the test
/// split, evaluated where the round was aggregated (null for an inference job, a round the spec's <c>eval-every</c>
/// skips, or a journal written before rounds were evaluated; perplexity for a language model only).
/// <see cref="Update"/>: the blob of the round's encoded global update, from which a worker that trained a shard in
/// this round rebuilds the shard's next start state (null for an inference job or a journal written before start
/// states travelled as deltas: workers then fetch start states whole).</summary>
public sealed record RoundCompleted(int Round, Sha256Digest GlobalState, Sha256Digest StateDigest, double MeanLoss, DateTimeOffset At,
    IReadOnlyList<string>? Uncounted = null, double? TestAccuracy = null, double? TestLoss = null,
    double? TestPerplexity = null, Sha256Digest? Update = null) : IJobEvent;

/// <summary>The final model (parameters only, safetensors) is blob <see cref="Model"/>; <see cref="FinalDigest"/> is what `gensyn train` prints for the same spec.</summary>
public sealed record JobCompleted(Sha256Digest Model, long ModelBytes, Sha256Digest FinalDigest, double TestAccuracy, double TestLoss, double? TestPerplexity, DateTimeOffset At) : IJobEvent;

public sealed record JobFailed(string Reason, DateTimeOffset At) : IJobEvent;

public sealed record JobCancelled(string Reason, DateTimeOffset At) : IJobEvent;

/// <summary>Persisted, never sent: exempt from the message size limit (a long job's history can be large).</summary>
public interface IPersistedOnly : IGensynMessage;

/// <summary>
/// A job's domain state, saved every so many events so that recovery replays only the events after it. It holds no
/// view: the log, the verdicts and the status are rebuilt from the events, which the journal keeps forever.
/// </summary>
public sealed record JobStateSnapshot(
    JobId JobId,
    string SpecYaml,
    string BaseDirectory,
    JobPhase Phase,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    string? Owner,
    int Round,
    bool RoundOpen,
    Sha256Digest? RoundGlobal,
    IReadOnlyList<Sha256Digest> ShardStarts,
    IReadOnlyList<long> ShardStartSizes,
    IReadOnlyList<int>? ShardSteps,
    IReadOnlyList<ShardSnapshot> Shards,
    Sha256Digest? LastGlobal,
    IReadOnlyList<Sha256Digest>? LastShardEnds,
    JobCompleted? Result,
    IReadOnlyList<RoundView> Rounds,
    ResultTally Tally,
    IReadOnlyList<WorkerId> ExcludedWorkers,
    IReadOnlyList<string> ExcludedAddresses,
    SettlementSnapshot? Settlement,
    JobPrice? Price) : IPersistedOnly;

/// <summary>Accepted and rejected results, of the open round and of the whole job: the match rates.
/// <see cref="RoundVerdicts"/>: the open round's verdicts by key, and <see cref="Convicted"/> the keys the job's journal
/// convicts (null in a snapshot from before they were kept: the round's counts are then each key's unknown).</summary>
public sealed record ResultTally(int RoundAccepted, int RoundRejected, int JobAccepted, int JobRejected,
    IReadOnlyList<RoundVerdict>? RoundVerdicts = null, IReadOnlyList<string>? Convicted = null);

/// <summary>One verdict of the open round: the key it judged ("" when unknown) and whether it accepted the
/// result.</summary>
public sealed record RoundVerdict(string Address, bool Accepted);

/// <summary>
/// The snapshot journals held before <see cref="JobStateSnapshot"/>: the domain state with the status views and log
/// text mixed in. It is still read (its domain part is restored); it is no longer written.
/// </summary>
public sealed record JobSnapshot(
    JobId JobId,
    string SpecYaml,
    string BaseDirectory,
    JobPhase Phase,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    int Round,
    bool RoundOpen,
    Sha256Digest? RoundGlobal,
    IReadOnlyList<Sha256Digest> ShardStarts,
    IReadOnlyList<long> ShardStartSizes,
    IReadOnlyList<ShardSnapshot> Shards,
    Sha256Digest? LastGlobal,
    IReadOnlyList<Sha256Digest>? LastShardEnds,
    JobCompleted? Result,
    IReadOnlyList<JobLogEntry> Log,
    IReadOnlyList<RoundView> History,
    VerificationSnapshot? Verification = null,
    SettlementSnapshot? Settlement = null,
    IReadOnlyList<int>? ShardSteps = null,
    JobPrice? Price = null,
    string? Owner = null) : IPersistedOnly;

/// <summary>
/// The money a <see cref="JobSnapshot"/> carries: who pays, which results earn what, and what was posted. A purge adds
/// the rounds' generations (rollbacks that discarded them), the verdicts of the current generation, the revoked
/// results (<see cref="Pending"/>: those a rollback has yet to charge) and the orders it fixed (<see cref="Held"/>);
/// all absent in a snapshot from before purges.
/// </summary>
public sealed record SettlementSnapshot(
    string Payer,
    long DepositMicros,
    IReadOnlyList<RoundPayees> Payees,
    IReadOnlyList<ShardVerified> Frauds,
    IReadOnlyList<SettlementPosted> Posted,
    IReadOnlyList<RoundGeneration>? Generations = null,
    IReadOnlyList<LedgerVerdict>? Verdicts = null,
    IReadOnlyList<ResultRevoked>? Revoked = null,
    IReadOnlyList<ResultRevoked>? Pending = null,
    IReadOnlyList<SettlementOrder>? Held = null,
    LedgerAudit? Audit = null);

/// <summary>An audit's money in a <see cref="SettlementSnapshot"/>: whether the job was reopened after its escrow
/// closed, and the rounds whose recomputation the convicted stake pays (absent before audits recomputed).</summary>
public sealed record LedgerAudit(bool Reopened, IReadOnlyList<AuditRound> Rounds);

/// <summary>Round <see cref="Round"/> is recomputed after an audit; <see cref="Convicted"/>'s stake pays for
/// it.</summary>
public sealed record AuditRound(int Round, string Convicted);

/// <summary>Round <see cref="Round"/> was discarded by <see cref="Generation"/> rollbacks.</summary>
public sealed record RoundGeneration(int Round, int Generation);

/// <summary>One verdict of the current generation of its round, as the ledger keeps it for a purge.</summary>
public sealed record LedgerVerdict(int Round, int Shard, int Epoch, string WorkerId, string Address, bool Accepted);

public sealed record RoundPayees(int Round, IReadOnlyList<SettlementPayee> Payees);

public sealed record ShardSnapshot(
    int Shard,
    int Epoch,
    WorkerId? WorkerId,
    bool Done,
    Sha256Digest? EndState,
    Sha256Digest? MerkleRoot,
    double MeanLoss,
    Sha256Digest? Checkpoint = null,
    int CheckpointStep = 0,
    IReadOnlyList<WorkerId>? FailedWorkers = null,
    IReadOnlyDictionary<int, WorkerId>? Live = null,
    IReadOnlyList<ShardCheckpointSaved>? CheckpointLineage = null);

/// <summary>The verification tallies a <see cref="JobSnapshot"/> carries (they feed the match rates).</summary>
public sealed record VerificationSnapshot(
    int RoundAccepted,
    int RoundRejected,
    int JobAccepted,
    int JobRejected,
    double TrainSeconds,
    double VerifySeconds,
    IReadOnlyList<WorkerId> ExcludedWorkers,
    IReadOnlyList<VerdictView> Verdicts,
    IReadOnlyList<string>? ExcludedAddresses = null);

namespace Gensyn.Contracts.Messages;

// What the edge says to the jobs gateway (/user/jobs) on a requester's behalf, and what it hears back.

/// <summary>
/// Submit a job: the spec's YAML text, validated again by the coordinator, and the folder that relative
/// data paths in it are taken from (the spec file's folder on the requester's machine). On a network that
/// settles on chain, the requester first deposits the budget in escrow under <see cref="JobId"/> (which it
/// picks, see <c>JobsGateway.NewJobId</c>) from <see cref="Payer"/>, and <see cref="Signature"/> (a <see cref="Signing.SubmissionClaim"/>
/// signed by the payer) binds this spec to that deposit; the job starts only once the deposit is on chain.
/// </summary>
/// <see cref="Payer"/> is set by the edge to the key that signed the request, which owns the job.
public sealed record SubmitJob(string SpecYaml, string BaseDirectory, JobId? JobId = null, string? Payer = null, string? Signature = null) : IGensynMessage;

/// <summary>The job was persisted and will run.</summary>
public sealed record JobAccepted(JobId JobId, string Name) : IGensynMessage;

/// <summary>The spec is invalid; one message per problem, nothing was persisted.</summary>
public sealed record JobRejected(IReadOnlyList<string> Errors) : IGensynMessage;

/// <summary>
/// Sent by the gateway to the job's (new) entity: persist the submission, with the <see cref="Price"/> it locked. <see cref="Owner"/> is the
/// key that signed the submission at the edge (the payer, on a network that settles): only it may act on the job.
/// </summary>
public sealed record StartJob(JobId JobId, string SpecYaml, string BaseDirectory, string? Payer = null, long DepositMicros = 0, JobPrice? Price = null,
                             string? Owner = null) : IJobCommand;

/// <summary>
/// Ask what a job would pay if it were submitted now, without starting anything: answered with the <see cref="JobPrice"/>
/// it would lock, or <see cref="JobRejected"/> for an invalid spec (`gensyn quote`, and `gensyn submit` before it deposits).
/// </summary>
public sealed record QuoteJob(string SpecYaml, string BaseDirectory) : IGensynMessage;

public sealed record GetJobStatus(JobId JobId) : IJobCommand;

/// <summary>
/// One page of the jobs: those of <paramref name="Owner"/> (all when null) among the next <paramref name="PageSize"/> job ids after
/// <paramref name="After"/> (a page token, in id order): a page wakes at most that many jobs, and its reply stays small.
/// </summary>
public sealed record ListJobs(string? Owner = null, string? After = null, int PageSize = int.MaxValue) : IGensynMessage;

/// <summary>A page of jobs; <paramref name="NextPageToken"/> (null on the last page) asks for the next one.</summary>
public sealed record JobList(IReadOnlyList<JobView> Jobs, string? NextPageToken = null) : IGensynMessage;

public sealed record CancelJob(JobId JobId, string Reason) : IJobCommand;

public sealed record JobCancelAccepted(JobId JobId, string State) : IGensynMessage;

/// <summary>The job's event history from entry <see cref="From"/> on.</summary>
public sealed record GetJobLog(JobId JobId, int From) : IJobCommand;

public sealed record JobLog(JobId JobId, IReadOnlyList<JobLogEntry> Entries, JobPhase State) : IGensynMessage;

public sealed record JobLogEntry(int Index, DateTimeOffset At, string Text);

/// <summary>Ask for a completed job's final model; answered with a <see cref="BlobOffer"/> or a <see cref="RequestFailed"/>.</summary>
public sealed record GetJobResult(JobId JobId) : IJobCommand;

/// <summary>No job has that id (entities for unknown ids answer this and stop).</summary>
public sealed record UnknownJob(JobId JobId) : IGensynMessage;

/// <summary>A request that could not be served, with a message for the user and whether it was the caller's input.</summary>
public sealed record RequestFailed(string Message, bool InvalidInput) : IGensynMessage;

public enum JobPhase
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// One job as `status` shows it; <see cref="Shards"/> are the open round's shards. <see cref="MatchRate"/> is the
/// job's Gradient Match Rate: accepted results / judged results (1 before any verdict). <see cref="Price"/>: the price the
/// job locked when it started (null for jobs submitted before prices came from the market).
/// </summary>
public sealed record JobView(
    string JobId,
    string Name,
    JobPhase State,
    int Round,
    int Rounds,
    int ShardsPerRound,
    int InnerSteps,
    double MatchRate,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    string? FinalDigest,
    double? TestAccuracy,
    double? TestLoss,
    double? TestPerplexity,
    IReadOnlyList<RoundView> RoundHistory,
    IReadOnlyList<ShardView> Shards,
    IReadOnlyList<VerdictView>? Verdicts = null,
    double VerifySeconds = 0,
    double TrainSeconds = 0,
    MoneyView? Money = null,
    string Kind = "train",
    JobPrice? Price = null,
    string? Owner = null,
    IReadOnlyList<PurgeView>? Purges = null,
    IReadOnlyList<AuditView>? Audit = null) : IGensynMessage
{
    /// <summary>Whether the job runs a trained model over a dataset (its result is a predictions CSV) rather than training one.</summary>
    public bool IsInference => Kind == "inference";
}

/// <summary>
/// A completed round. <see cref="MatchRate"/> = <see cref="Accepted"/> / <see cref="Judged"/> results in it; a round under 95%
/// is not <see cref="Paid"/> (its rejected shards were re-run before it completed). The counts are what the escrow is shown when
/// the round is paid (0 and 0 in a round recorded before they were kept). <see cref="Convicted"/>: the keys convicted in the
/// job when the round completed (a fraud, an invalid answer, a revoked result); their verdicts are not counted against the
/// others, and the round pays them nothing (null: none, or a round recorded before this was kept).
/// <see cref="TestAccuracy"/>, <see cref="TestLoss"/> and <see cref="TestPerplexity"/> (language models): the round's
/// new global state on the test split; the last round's are the job's. Null for an inference job, a round the spec's
/// <c>training.eval-every</c> skips, or a round recorded before rounds were evaluated.
/// </summary>
public sealed record RoundView(int Round, string CheckpointHash, string CheckpointDigest, double MeanLoss, IReadOnlyList<string> ShardRoots, IReadOnlyList<string> Workers,
                               double MatchRate = 1, bool Paid = true, int Accepted = 0, int Judged = 0,
                               [property: System.Text.Json.Serialization.JsonIgnore(
                                   Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
                               IReadOnlyList<string>? Convicted = null,
                               [property: System.Text.Json.Serialization.JsonIgnore(
                                   Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
                               double? TestAccuracy = null,
                               [property: System.Text.Json.Serialization.JsonIgnore(
                                   Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
                               double? TestLoss = null,
                               [property: System.Text.Json.Serialization.JsonIgnore(
                                   Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
                               double? TestPerplexity = null);

/// <summary>One shard of the open round; <see cref="Waiting"/>: why no worker has it yet (a requirement no idle worker meets, or all busy).</summary>
public sealed record ShardView(int Shard, string State, string? WorkerId, int Epoch, int Step, int InnerSteps, double? Loss, string? Waiting = null);

/// <summary>One verdict as `status` shows it.</summary>
public sealed record VerdictView(int Round, int Shard, int Epoch, string WorkerId, VerdictOutcome Outcome, string Reason, int Challenged);

// The job catalog (a persistent cluster singleton) remembers every job id, so `status` can list them.

public sealed record CatalogJob(JobId JobId) : IGensynMessage;

public sealed record JobCataloged(JobId JobId, DateTimeOffset At) : IGensynMessage;

public sealed record ListJobIds : IGensynMessage;

public sealed record JobIdList(IReadOnlyList<JobId> JobIds) : IGensynMessage;

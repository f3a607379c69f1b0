using Akka.Actor;

namespace Gensyn.Contracts.Messages;

// Between a provider's worker (outside the cluster; its WorkerSession actor stands for it inside, see Gensyn.Edge) and the coordinators.

/// <summary>
/// A worker introduces itself to /user/workers with its capability profile; <see cref="Worker"/> is the ref all work goes to.
/// <see cref="Address"/> is the Ethereum address of its key: every result and challenge answer it sends must be signed by it,
/// and so is the profile itself (<see cref="Signature"/> over a <see cref="Signing.CapabilityClaim"/>).
/// <see cref="Throughput"/> and <see cref="BandwidthMbps"/> are what it measured at start: reference training steps per
/// second, and megabits per second from a coordinator (0: not measured). <see cref="IssuedAtUnixMs"/> is when the profile was
/// signed: the registry refuses one older than <c>gensyn.signing.profile-max-age</c>, or older than the last it accepted.
/// </summary>
public sealed record RegisterWorker(
    WorkerId WorkerId,
    IActorRef Worker,
    string Device,
    double MemoryGb,
    int Threads,
    string NumericClass,
    double PricePerHour,
    string Address,
    double Throughput = 0,
    double BandwidthMbps = 0,
    string? Signature = null,
    long IssuedAtUnixMs = 0) : IGensynMessage;

/// <summary>The CLI's request for the network's minimums for GPU jobs (answered from the edge's GetNetwork).</summary>
public sealed record GetNetworkMinimums : IGensynMessage;

/// <summary>What a worker needs to take GPU jobs on this network (a job may ask for more); CPU jobs have no minimums.</summary>
public sealed record NetworkMinimums(double GpuMemoryGb, double GpuBandwidthMbps) : IGensynMessage;

public sealed record WorkerRegistered(WorkerId WorkerId) : IGensynMessage;

/// <summary>
/// The registry turned the worker away: <see cref="Reason"/> in one line a provider can act on. <see cref="Kind"/> says
/// whether registering again can succeed (<see cref="RefusalKind.Temporary"/>: the worker keeps registering) or not:
/// the worker then stops with the reason.
/// </summary>
public sealed record WorkerRefused(WorkerId WorkerId, string Reason, RefusalKind Kind = RefusalKind.Temporary)
    : IGensynMessage
{
    /// <summary>Registering again can never succeed: the worker stops.</summary>
    public bool Final => Kind != RefusalKind.Temporary;
}

/// <summary>Why a registration was refused, as far as retrying goes.</summary>
public enum RefusalKind
{
    /// <summary>Registering again may succeed (no stake yet, a rate limit, the id held by a live process, the
    /// coordinator not knowing its chain yet, a profile signed for another network or with a skewed clock).</summary>
    Temporary = 0,

    /// <summary>The worker's key is convicted: no registration of it is admitted on this network again.</summary>
    Convicted = 1,

    /// <summary>The profile breaks the network's rules (its worker id, threads, device claim, price or measured
    /// figures, or an address that is not an Ethereum address): the same process sends the same profile every time;
    /// restart it with other options.</summary>
    Invalid = 2,
}

/// <summary>
/// One shard of one round for one worker. <see cref="Epoch"/> numbers the (re)assignments of this shard;
/// the worker echoes it so that results of older assignments can be fenced out. With
/// <see cref="ResumeFrom"/> the worker continues from that shard checkpoint (uploaded by an earlier
/// worker) instead of from step 0, and still commits to the same Merkle root. <see cref="Spec"/> names the job's
/// spec by hash: a worker that has not read it yet fetches its YAML as a blob like the start state, hash checked.
/// </summary>
public sealed record ShardAssignment(
    JobId JobId,
    int Round,
    int Shard,
    int Epoch,
    Jobs.SpecRef Spec,
    string BaseDirectory,
    Sha256Digest StartState,
    long StartStateBytes,
    IActorRef ShardActor,
    IActorRef Blobs,
    Sha256Digest? ResumeFrom = null,
    StartStateDelta? Delta = null) : IGensynMessage;

/// <summary>
/// How a worker that trained this shard last round may rebuild <see cref="ShardAssignment.StartState"/> instead of
/// fetching it: <see cref="LastStart"/> and <see cref="LastEnd"/> are the shard's start and accepted end states of the
/// previous round, <see cref="Update"/> the blob of that round's encoded global update. The rebuilt state is used only
/// when it hashes to the start state; otherwise (or without the two states) the worker fetches the start state whole.
/// Null in assignments sent before start states travelled as deltas.
/// </summary>
public sealed record StartStateDelta(Sha256Digest Update, Sha256Digest LastStart, Sha256Digest LastEnd);

/// <summary>Sent by the worker every few steps while it trains.</summary>
public sealed record ShardProgress(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, int Step, float Loss) : IGensynMessage
{
    /// <summary>The <see cref="Step"/> of a progress report that only says the worker is fetching the shard's data (a
    /// packed dataset's chunks): the shard is not stalled, and no step is shown.</summary>
    public const int FetchingData = -1;
}

/// <summary>
/// A finished shard: the end state (already uploaded to the coordinator's blob store), the Merkle root
/// over the digests of the states after steps 0..H (the commitment), and each step's loss.
/// <see cref="Signature"/> signs all of that (a <see cref="Signing.ShardResultClaim"/>) with the worker's key;
/// <see cref="TrainSeconds"/> is the worker's own (unsigned) measure of its training time; in replicated mode
/// <see cref="Salt"/> (hex) opens the seal the worker sent before.
/// </summary>
public sealed record ShardResult(
    JobId JobId,
    int Round,
    int Shard,
    int Epoch,
    WorkerId WorkerId,
    Sha256Digest EndState,
    Sha256Digest MerkleRoot,
    IReadOnlyList<float> Losses,
    string Signature,
    double TrainSeconds = 0,
    string? Salt = null) : IGensynMessage;

/// <summary>The worker could not run the shard (bad blob, spec it cannot load, out of memory...).</summary>
public sealed record ShardFailed(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, string Reason) : IGensynMessage;

/// <summary>The shard no longer needs this worker (cancelled job, reassigned shard): stop promptly.</summary>
public sealed record AbandonShard(JobId JobId, int Round, int Shard, int Epoch) : IGensynMessage;

public sealed record ListWorkers : IGensynMessage;

public sealed record WorkerList(IReadOnlyList<WorkerView> Workers) : IGensynMessage;

public sealed record WorkerView(
    string WorkerId,
    string Device,
    double MemoryGb,
    int Threads,
    string NumericClass,
    double Price,
    string State,
    double Reliability,
    string? CurrentShard,
    int CompletedShards,
    string Address = "",
    int AcceptedResults = 0,
    int RejectedResults = 0,
    int HonestStreak = 0,
    double Throughput = 0,
    double BandwidthMbps = 0);

// Between ShardActors (on any coordinator) and the Scheduler singleton.

/// <summary>
/// A shard needs a worker; the scheduler answers <see cref="WorkerGranted"/> to <see cref="Requester"/> when one
/// is free. Workers in <see cref="Exclude"/> (caught cheating in this job) and providers in <see cref="ExcludeAddresses"/>
/// (keys caught cheating in this job, and the other replica's, in replicated mode) are never granted to it. A
/// <see cref="Replicated"/> request (one replica of a replicated shard) gets a worker drawn at random among those it may have.
/// <see cref="Preferred"/>: the worker that trained the shard in the last round, which holds its start and end states
/// (it rebuilds the next start state from the round's update instead of fetching it); the shard gets it first when it
/// is idle and allowed, and any other worker otherwise.
/// </summary>
public sealed record RequestWorker(JobId JobId, int Round, int Shard, IActorRef Requester, IReadOnlyList<WorkerId>? Exclude = null,
                                   IReadOnlyList<string>? ExcludeAddresses = null, ShardNeeds? Needs = null, bool Replicated = false,
                                   WorkerId? Preferred = null) : IGensynMessage;

/// <summary>
/// What a shard needs of its worker, from the job spec and the network's minimums: a device kind ("any", "cpu", "cuda"),
/// memory, a price cap (GENS per compute-hour), bandwidth from the coordinators, and, where verification compares results
/// bit for bit across workers, a numeric class.
/// </summary>
public sealed record ShardNeeds(string Device, double MinMemoryGb, double MaxPricePerHour, string? NumericClass = null, double MinBandwidthMbps = 0);

/// <summary>The scheduler cannot place the shard yet; <see cref="Reason"/> says which requirement no idle worker meets.</summary>
public sealed record WorkerWaiting(JobId JobId, int Round, int Shard, string Reason) : IGensynMessage;

/// <summary>
/// A worker for a shard. <see cref="Address"/> is the key its claims must be signed with; <see cref="HonestStreak"/> is
/// its run of accepted verdicts since its last rejection, which lowers how many steps are challenged.
/// </summary>
public sealed record WorkerGranted(WorkerId WorkerId, IActorRef Worker, int Threads, string NumericClass,
    string Address = "", int HonestStreak = 0, int Accepted = 0) : IGensynMessage;

/// <summary>A verifier's judgement of a worker's result, for the reputation of its key (<see cref="Address"/>) in the scheduler.</summary>
public sealed record WorkerJudged(WorkerId WorkerId, bool Accepted, string Address = "") : IGensynMessage;

/// <summary>
/// What a shard observed its worker do: <see cref="Steps"/> steps of <see cref="StepWork"/> reference steps each in
/// <see cref="Seconds"/> (from the assignment to the result, as the coordinator's clock saw it). The scheduler checks the
/// worker's claimed throughput against it.
/// </summary>
public sealed record WorkerThroughputObserved(WorkerId WorkerId, int Steps, double StepWork, double Seconds) : IGensynMessage;

/// <summary>
/// The shard is done with the worker (or no longer wants one): it is free for other work — unless
/// <see cref="WorkerGone"/>, when its process is dead and it leaves the registry until it registers again.
/// </summary>
public sealed record ReleaseWorker(WorkerId? WorkerId, IActorRef Requester, bool Completed, bool WorkerGone = false) : IGensynMessage;

/// <summary>The scheduler tells a shard that the worker it was granted is gone.</summary>
public sealed record WorkerLost(WorkerId WorkerId) : IGensynMessage;

/// <summary>
/// The worker uploaded its step-<see cref="LocalStep"/> checkpoint as blob <see cref="Checkpoint"/>: a reassigned shard can
/// resume from it. <see cref="Signature"/> signs it (a <see cref="Signing.CheckpointClaim"/>) with the worker's key; the
/// shard refuses a checkpoint its assigned key did not sign.
/// </summary>
public sealed record ShardCheckpointed(JobId JobId, int Round, int Shard, int Epoch, WorkerId WorkerId, int LocalStep,
    Sha256Digest Checkpoint, string Signature = "") : IGensynMessage;

// The market: what `gensyn market` shows.

/// <summary>Ask any coordinator (/user/jobs) for the market: supply, demand and clearing prices per hardware class, and recent settlements.</summary>
public sealed record GetMarket : IGensynMessage;

/// <summary>
/// One hardware class: <see cref="Registered"/> workers, <see cref="Idle"/> ones (the supply), queued shards they could take
/// (<see cref="Demand"/>), the <see cref="ClearingPrice"/> (GENS per compute-hour; null without supply), and the asks.
/// </summary>
public sealed record MarketClassView(string Class, int Registered, int Idle, int Demand, double? ClearingPrice, double LowestAsk, double MedianAsk);

public sealed record MarketView(IReadOnlyList<MarketClassView> Classes, IReadOnlyList<SettlementSettled> RecentSettlements) : IGensynMessage;

/// <summary>Ask the SettlementActor for its latest outcomes.</summary>
public sealed record GetRecentSettlements(int Count) : IGensynMessage;

public sealed record RecentSettlements(IReadOnlyList<SettlementSettled> Settlements) : IGensynMessage;

// Pricing: what a job pays per compute-hour, locked when it starts (see JobPricing in Gensyn.Actors/Market).

/// <summary>
/// The gateway asks the scheduler what a job with these <see cref="Needs"/> would pay now; <see cref="Demand"/> is the
/// job's own shards x replicas (the scheduler adds the queued shards the same workers could take).
/// </summary>
public sealed record PriceJob(ShardNeeds Needs, int Demand) : IGensynMessage;

/// <summary>
/// A job's price: <see cref="PricePerHour"/> GENS per compute-hour, on workers that run <see cref="StepsPerSecond"/>
/// reference training steps per second (the median measured throughput of the workers the price came from), and in
/// words how it was found (<see cref="Basis"/>). <see cref="Workers"/>: registered workers that could run the job.
/// The scheduler answers those; the gateway adds <see cref="StepWork"/> (one step of the job in reference steps, from
/// the model's FLOPs) and <see cref="ResultPayoutMicros"/> (what each accepted shard result earns its worker, in
/// micro-GENS). The lock a job starts with is recorded in its <see cref="JobSubmitted"/> event.
/// </summary>
public sealed record JobPrice(double PricePerHour, double StepsPerSecond, string Basis, int Workers = 0, double StepWork = 0, long ResultPayoutMicros = 0) : IGensynMessage;

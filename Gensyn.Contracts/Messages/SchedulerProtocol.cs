using Akka.Actor;

namespace Gensyn.Contracts.Messages;

// Between the worker registry (a cluster singleton), the scheduler of each coordinator and the other coordinators'
// schedulers. Cluster members only: the edges never pass these on.

/// <summary>
/// The registry admitted <see cref="Profile"/>'s worker (a new one, a new process of an id, or a live one again); it
/// goes to the scheduler of the coordinator whose edge holds the worker's session.
/// </summary>
public sealed record WorkerAdmitted(RegisterWorker Profile) : IGensynMessage;

/// <summary>
/// The registry turned away a registered worker (convicted, or its stake fell below the minimum): it gets no more work.
/// </summary>
public sealed record WorkerDismissed(IActorRef Worker) : IGensynMessage;

/// <summary>A scheduler's notice to the registry: <see cref="Worker"/>'s process is gone; it must register again.</summary>
public sealed record WorkerDropped(IActorRef Worker) : IGensynMessage;

/// <summary>
/// What one coordinator's scheduler holds, told to the others every moment it changes: its workers (idle ones first, at
/// most a few hundred) and the shards waiting in its queue, grouped by what they need. The others use it to hand over
/// shards that their own workers cannot take, and to show and price the whole market.
/// </summary>
public sealed record SchedulerSupply(IReadOnlyList<WorkerView> Workers, IReadOnlyList<QueuedDemand> Queued) : IGensynMessage;

/// <summary><see cref="Count"/> waiting shards that need <see cref="Needs"/> (null: anything).</summary>
public sealed record QueuedDemand(ShardNeeds? Needs, int Count);

/// <summary>
/// Waiting shards one scheduler hands to another, which holds an idle worker they may have: the receiver queues them as
/// if their shards had asked it, and answers their shards itself.
/// </summary>
public sealed record RequestsHandedOver(IReadOnlyList<RequestWorker> Requests) : IGensynMessage;

/// <summary>
/// A verdict or a throughput observation that reached one scheduler, passed to the others: a key's record is the same on
/// every coordinator, whichever holds its workers.
/// </summary>
public sealed record SchedulerRelay(WorkerJudged? Judged = null, WorkerThroughputObserved? Observed = null) : IGensynMessage;

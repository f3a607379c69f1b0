using Akka.Actor;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Scheduling;

// Between the worker registry and its scheduler (a child on the same node: these never cross the wire). Requesters,
// the market and the CLI keep talking to the registry (RequestWorker, ReleaseWorker, PriceJob, ...); it forwards those.

/// <summary>
/// The registry admitted <see cref="Profile"/>'s worker (a new one, a new process of an id, or a live one again).
/// </summary>
public sealed record WorkerAdmitted(RegisterWorker Profile) : INoSerializationVerificationNeeded;

/// <summary>
/// The registry turned away a registered worker (its stake fell below the minimum): it gets no more work.
/// </summary>
public sealed record WorkerDismissed(IActorRef Worker) : INoSerializationVerificationNeeded;

/// <summary>
/// The scheduler's notice to the registry: <see cref="Worker"/>'s process is gone; it must register again.
/// </summary>
public sealed record WorkerDropped(IActorRef Worker) : INoSerializationVerificationNeeded;

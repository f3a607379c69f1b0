using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

// The messages between a JobActor, its shard actors and a ReplicatedShardActor. Parent and children live in one
// process (the coordinator that runs the job), so none of them is ever serialized and none belongs in
// Gensyn.Contracts; what a shard actor exchanges with workers, the scheduler and verifiers is there.
public abstract partial class ShardActor
{
    // ---- between a JobActor and its shard actors ----

    /// <summary>
    /// The scheduler granted a worker: the parent journals the assignment and answers <see cref="AssignConfirmed"/>.
    /// </summary>
    public sealed record AssignRequested(
        int Shard, WorkerId WorkerId, IActorRef Worker, string Address = "", int Replica = -1)
        : INoSerializationVerificationNeeded;

    /// <summary>
    /// The assignment is journalled under <see cref="Epoch"/>; <see cref="Resume"/> is the last good checkpoint and
    /// <see cref="Lineage"/> the journalled, signed checkpoints it rests on, its own record last (none: unsigned, never
    /// resumed).
    /// </summary>
    public sealed record AssignConfirmed(int Epoch, Sha256Digest? Resume,
        IReadOnlyList<ShardCheckpointSaved>? Lineage = null) : INoSerializationVerificationNeeded;

    public sealed record Progress(int Shard, int Step, float Loss) : INoSerializationVerificationNeeded;

    /// <summary>The scheduler has no worker for the shard yet, and why (shown by `status`).</summary>
    public sealed record WaitingForWorker(int Shard, string Reason) : INoSerializationVerificationNeeded;

    /// <summary>A checkpoint signed by <see cref="Maker"/>, the attempt's granted key: the job journals it.</summary>
    public sealed record Checkpointed(ShardCheckpointed Checkpoint, string Maker) : INoSerializationVerificationNeeded;

    public sealed record CheckpointUnusable(int Shard, Sha256Digest Checkpoint, string Reason)
        : INoSerializationVerificationNeeded;

    /// <summary>
    /// A result and its verdict; the parent persists both and answers <see cref="Accepted"/> or <see cref="Rejected"/>.
    /// </summary>
    public sealed record Judged(
        ShardResult Result, ShardVerdict Verdict, string WorkerAddress, IReadOnlyList<int> Steps, string Secret)
        : INoSerializationVerificationNeeded;

    /// <summary>
    /// The verdict on the checkpoint that the <see cref="Epoch"/>'s worker <see cref="Resumer"/> resumed from
    /// (<see cref="ShardVerdict.Checkpoint"/>): the parent journals it against the checkpoint's maker, releases the
    /// resumer without blame, and answers <see cref="Rejected"/>.
    /// </summary>
    public sealed record CheckpointJudged(int Shard, int Epoch, WorkerId Resumer, ShardVerdict Verdict)
        : INoSerializationVerificationNeeded;

    public sealed record Verifying(int Shard, bool Active) : INoSerializationVerificationNeeded;

    public sealed record Accepted : INoSerializationVerificationNeeded;

    public sealed record Rejected(Exclusion Excluded) : INoSerializationVerificationNeeded;

    /// <summary>
    /// The job excluded more workers: never take one of them (a granted one not yet confirmed is let go).
    /// </summary>
    public sealed record Excluded(Exclusion Workers) : INoSerializationVerificationNeeded;

    /// <summary>
    /// The worker was let go before its result counted (<see cref="CountsAsFailure"/>: against the shard).
    /// </summary>
    public sealed record Lost(int Shard, int Epoch, WorkerId WorkerId, string Reason, bool CountsAsFailure)
        : INoSerializationVerificationNeeded;

    public sealed record Abandon : INoSerializationVerificationNeeded;

    /// <summary>
    /// The job's spec or the round's start state fails its hash: the parent stores the spec again, recomputes the state
    /// and answers <see cref="StartStateRestored"/>.
    /// </summary>
    public sealed record StartStateMissing(int Shard, string Reason) : INoSerializationVerificationNeeded;

    public sealed record StartStateRestored : INoSerializationVerificationNeeded;

    // ---- replicated mode: between a replica and its ReplicatedShardActor ----

    /// <summary>
    /// Never take a worker of these providers (the other replica's); a granted one not yet confirmed is let go.
    /// </summary>
    public sealed record Avoid(IReadOnlyList<string> Addresses) : INoSerializationVerificationNeeded;

    /// <summary>
    /// A replica's worker sealed its result: the pair counts it, and the JobActor journals it
    /// (<see cref="ReplicaSealed"/>).
    /// </summary>
    public sealed record Sealed(int Round, int Shard, int Replica, int Epoch, WorkerId WorkerId, Sha256Digest Seal)
        : INoSerializationVerificationNeeded;

    public sealed record Reveal : INoSerializationVerificationNeeded;

    public sealed record Revealed(int Replica, ShardResult Result, IActorRef Worker)
        : INoSerializationVerificationNeeded;

    /// <summary>The replicas agree: prove possession of the states before <see cref="Steps"/> (no replay).</summary>
    public sealed record Possession(IReadOnlyList<int> Steps) : INoSerializationVerificationNeeded;

    /// <summary>A dispute's outcome for this replica, to be journalled like any verdict.</summary>
    public sealed record Decided(ShardVerdict Verdict) : INoSerializationVerificationNeeded;

    /// <summary>
    /// Open the state before <see cref="Step"/> for the referee; answered with <see cref="RefereeOpening"/>.
    /// </summary>
    public sealed record OpenForReferee(int Step) : INoSerializationVerificationNeeded;

    public sealed record RefereeOpening(int Replica, StepsOpened Opened) : INoSerializationVerificationNeeded;

    /// <summary>
    /// A replica that was judged and is done (accepted or rejected): the ReplicatedShardActor decides what comes next.
    /// </summary>
    public sealed record ReplicaDone(int Replica, bool Accepted) : INoSerializationVerificationNeeded;

    // ---- a shard actor's timers, to itself ----

    private protected sealed record Stalled(int Epoch) : INoSerializationVerificationNeeded;

    private protected sealed record ChallengeExpired(int Epoch) : INoSerializationVerificationNeeded;

    private protected sealed record AskAgain : INoSerializationVerificationNeeded;
}

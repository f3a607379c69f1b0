using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The points where a worker may depart from the protocol. Production code runs <see cref="HonestWorker"/>; the
/// rehearsed attacks (lazy, stale, copycat, refuser, a stall, …) live in Gensyn.Testing, and only Gensyn.Node wires
/// them in (from GENSYN_WORKER_BEHAVIOR), so that operators can rehearse attacks on their own network.
/// </summary>
public interface IWorkerFaults
{
    /// <summary>What this worker does wrong, for a warning at start; null for an honest worker.</summary>
    string? Description { get; }

    /// <summary>Whether this worker answers challenges: openings of steps and bisection questions.</summary>
    bool AnswersChallenges { get; }

    /// <summary>Runs once a shard's start state is in, before its first step; an honest worker goes on.</summary>
    Task BeforeTrainingAsync(ShardAssignment assignment, Action<string> warn, CancellationToken token);

    /// <summary>Trains a shard and keeps what answers its challenges (<see cref="ShardTrajectory.Run"/>).</summary>
    ShardTrajectory Train(TrainingSession session, ShardTask task, StateSnapshot start, IShardObserver observer,
                          ShardCheckpoint? resume, CancellationToken token);

    /// <summary>The inference batches whose forward pass this worker skips; null when it skips none.</summary>
    Func<int, bool>? SkippedBatches { get; }

    /// <summary>The root a replica commits to in replicated mode: honestly <paramref name="own"/>.</summary>
    Task<Sha256Digest> ReplicaRootAsync(ShardAssignment assignment, Sha256Digest own, CancellationToken token);
}

/// <summary>A worker that follows the protocol: the only <see cref="IWorkerFaults"/> in production code.</summary>
public sealed class HonestWorker : IWorkerFaults
{
    public static readonly HonestWorker Instance = new();

    private HonestWorker()
    {
    }

    public string? Description => null;

    public bool AnswersChallenges => true;

    public Task BeforeTrainingAsync(ShardAssignment assignment, Action<string> warn, CancellationToken token) =>
        Task.CompletedTask;

    public ShardTrajectory Train(TrainingSession session, ShardTask task, StateSnapshot start, IShardObserver observer,
                                 ShardCheckpoint? resume, CancellationToken token) =>
        ShardTrajectory.Run(session, task, start, observer, resume, token);

    public Func<int, bool>? SkippedBatches => null;

    public Task<Sha256Digest> ReplicaRootAsync(ShardAssignment assignment, Sha256Digest own, CancellationToken token) =>
        Task.FromResult(own);
}

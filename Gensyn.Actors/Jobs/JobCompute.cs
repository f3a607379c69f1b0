using Gensyn.Actors.Blobs;
using Gensyn.Actors.Kinds;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// The coordinator's share of a job's computation, all on the node's training thread: each round's start states, the
/// aggregation of the shards' ends, and the job's result. What that arithmetic is belongs to the job's kind
/// (<see cref="JobKinds"/>); this holds one <see cref="IKindCoordinator"/> per kind and keeps one job's data in memory.
/// A packed dataset is read from the node's own blob store (<see cref="BlobStoreChunks"/>), under
/// <paramref name="datasets"/>' limits (the defaults when not given).
/// </summary>
public sealed class JobCompute(TrainingThread thread, BlobStore blobs, string dataDirectory,
                               PackedDataSettings? datasets = null)
{
    private readonly DataSource _data = new(dataDirectory,
        PackedSource.Direct(new BlobStoreChunks(blobs), datasets ?? PackedDataSettings.Default));

    private readonly Dictionary<JobKind, IKindCoordinator> _coordinators = new();   // training thread only

    /// <summary>A round's start: for an inference job every shard starts from the model, and
    /// <see cref="ShardSteps"/> counts each shard's batches.</summary>
    public sealed record PreparedRound(int Round, Sha256Digest Global, IReadOnlyList<Sha256Digest> ShardStarts,
                                       IReadOnlyList<long> Sizes, IReadOnlyList<int>? ShardSteps = null);

    /// <summary>A round's aggregate; <see cref="Test"/>: the new global state on the test split (null when the kind or
    /// the spec's <c>eval-every</c> evaluates no round here).</summary>
    public sealed record AggregatedRound(int Round, Sha256Digest Global, Sha256Digest Digest, Evaluation? Test = null,
                                         Sha256Digest? Update = null);

    /// <summary>Stores round <paramref name="round"/>'s global state and each shard's start state.</summary>
    public Task<PreparedRound> PrepareRound(JobSpec spec, int round, Sha256Digest? lastGlobal,
                                            IReadOnlyList<Sha256Digest>? lastShardEnds) =>
        thread.Run(() => Coordinator(spec).Prepare(spec, round, lastGlobal, lastShardEnds));

    /// <summary>Combines the shards' ends, in shard order, into the next global state (or the job's output), and
    /// evaluates a training job's new state on the test split.</summary>
    public Task<AggregatedRound> Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal,
                                           IReadOnlyList<Sha256Digest> shardEnds) =>
        thread.Run(() => Coordinator(spec).Aggregate(spec, round, roundGlobal, shardEnds));

    /// <summary>The job's result from its final global state, stored.</summary>
    public Task<JobCompleted> Finish(JobSpec spec, JobId jobId, Sha256Digest finalGlobal) =>
        thread.Run(() => Coordinator(spec).Finish(spec, finalGlobal));

    /// <summary>The coordinator of <paramref name="spec"/>'s kind; the other kinds drop their data (one job's data in
    /// memory at a time).</summary>
    private IKindCoordinator Coordinator(JobSpec spec)
    {
        var kind = JobKinds.Of(spec);
        foreach (var (other, coordinator) in _coordinators)
            if (other != kind.Kind) coordinator.Forget();
        if (!_coordinators.TryGetValue(kind.Kind, out var mine))
            _coordinators[kind.Kind] = mine = kind.Coordinator(blobs, _data);
        return mine;
    }
}

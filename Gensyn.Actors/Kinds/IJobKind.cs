using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Training.Data;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds;

/// <summary>
/// One kind of job (training, inference, ...): what differs between kinds, so that the job, worker and verifier actors,
/// pricing and limits dispatch through <see cref="JobKinds.Of(JobSpec)"/> instead of testing the kind. A kind is a
/// stateless singleton; the parts that keep a job's data loaded (<see cref="Coordinator"/>, <see cref="Judge"/>) are
/// made once per coordinator or verifier and used on its training thread only.
/// </summary>
public interface IJobKind
{
    /// <summary>The spec's kind this implements.</summary>
    JobKind Kind { get; }

    /// <summary>The kind's name as job views show it ("train", "inference").</summary>
    string Name { get; }

    /// <summary>What one entry of a shard result's losses stands for ("steps", "batches").</summary>
    string StepUnit { get; }

    /// <summary>The spec section that holds the batch size ("training", "inference") in error lines.</summary>
    string Section { get; }

    /// <summary>The job log's first line for a submitted job of this kind.</summary>
    string Describe(JobSpec spec);

    /// <summary>One step of the job (what one entry of a shard's losses stands for), in reference steps.</summary>
    double StepWork(JobSpec spec);

    /// <summary>The steps one shard result stands for (the most of any shard), as the job is priced.</summary>
    int StepsPerResult(JobSpec spec);

    /// <summary>A rough upper estimate of one step's memory on a worker, in bytes.</summary>
    double StepBytes(JobSpec spec);

    /// <summary>The steps the whole job counts against <c>gensyn.limits.max-steps</c>; null when the kind's jobs
    /// are not limited by steps.</summary>
    long? LimitedSteps(JobSpec spec);

    /// <summary>The coordinator's arithmetic for this kind's jobs, over <paramref name="blobs"/>.</summary>
    IKindCoordinator Coordinator(BlobStore blobs, DataSource data);

    /// <summary>The coordinator's actor that gets one unreplicated shard of this kind done and verified (a replicated
    /// shard's replicas are <see cref="ReplicaShardActor"/>s whatever the kind).</summary>
    Props ShardActor(ShardOrder order, ShardServices services);

    /// <summary>Runs one assigned shard of this kind on a worker, off the actor (its caller pipes it back).</summary>
    Task<CommittedShard> RunShard(ShardRun run, CancellationToken token);

    /// <summary>The verifier's judge for this kind's shard results.</summary>
    IKindJudge Judge(DataSource data);
}

/// <summary>
/// A kind's share of a job's computation on the coordinator: each round's start states, the aggregation of the shards'
/// ends, and the final result. Called on the node's training thread only; it may keep one job's data loaded.
/// </summary>
public interface IKindCoordinator : IDisposable
{
    /// <summary>Stores round <paramref name="round"/>'s global state and each shard's start state.</summary>
    JobCompute.PreparedRound Prepare(JobSpec spec, int round, Sha256Digest? lastGlobal,
                                     IReadOnlyList<Sha256Digest>? lastShardEnds);

    /// <summary>Combines the shards' end states (or outputs), in shard order, into the next global state.</summary>
    JobCompute.AggregatedRound Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal,
                                         IReadOnlyList<Sha256Digest> shardEnds);

    /// <summary>The job's result from its final global state: stored, with its digest and test figures.</summary>
    JobCompleted Finish(JobSpec spec, Sha256Digest finalGlobal);

    /// <summary>Drops the loaded job's data (any job's, or only <paramref name="spec"/>'s when given).</summary>
    void Forget(JobSpec? spec = null);
}

/// <summary>A kind's verifier: judges one shard result on the verifier's training thread, never throwing on a
/// worker's input.</summary>
public interface IKindJudge : IDisposable
{
    /// <summary>Judges a result; <paramref name="keep"/> stores a state the judge rebuilt (an end state that the worker
    /// did not upload, <see cref="VerifyShard.EndFromReplay"/>).</summary>
    ShardVerdict Judge(VerifyShard request, Func<Sha256Digest, byte[]> blob, double tolerance,
        Func<byte[], Sha256Digest>? keep = null);

    /// <summary>A purge's full re-verification: every step (training) or batch (inference) of the shard run again
    /// from its start state, for the Merkle root to compare with the committed one.</summary>
    Sha256Digest Replay(ReplayShard request, Func<Sha256Digest, byte[]> blob);

    /// <summary>
    /// Loads what judging the job's results needs (its session and data) before the first result comes; whether it did
    /// (a judge busy with another job's results keeps that job's).
    /// </summary>
    bool Prepare(SpecRef spec, string baseDirectory, Func<Sha256Digest, byte[]> blob) => false;
}

/// <summary>What a worker hands a kind to run one shard: the assignment and its parsed spec, the fetched start
/// state (and checkpoint to resume from), the clock started at assignment with the fetch time, the network results
/// are signed for, and the worker's log.</summary>
public sealed record ShardRun(WorkerCompute Compute, ShardAssignment Assignment, JobSpec Spec, StateSnapshot Start,
    ShardCheckpoint? Resume, Stopwatch Clock, TimeSpan Fetched, ClaimDomain Network, ILoggingAdapter Log)
{
    public WorkerId WorkerId => Compute.Options.WorkerId;

    /// <summary>The result signed with the worker's key for <see cref="Network"/>.</summary>
    public ShardResult Signed(ShardResult result) =>
        result with { Signature = ClaimSigner.Sign(Compute.Key, ShardResultClaim.From(result, Network)) };
}

using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

/// <summary>
/// What a shard actor needs to dispatch and verify its shard: <see cref="Samples"/> is the job's k,
/// <see cref="NumericClass"/> the class the verifiers replay in, <see cref="Excluded"/> the workers the job
/// no longer trusts. <see cref="Kind"/> is the job's kind, whose <see cref="Kinds.IJobKind.ShardActor"/> gets the shard
/// done; for an inference shard, <see cref="InnerSteps"/> is its number of batches. <see cref="Spec"/> names the
/// job's spec, whose YAML the job keeps as a blob in its node's store. <see cref="CommitEvery"/> is the training
/// spec's c. <see cref="Preferred"/> is the worker that trained the shard in the last round, asked for first.
/// </summary>
public sealed record ShardOrder(
    JobId JobId,
    int Round,
    int Shard,
    SpecRef Spec,
    string BaseDirectory,
    Sha256Digest StartState,
    long StartStateBytes,
    int InnerSteps,
    int Samples,
    string NumericClass,
    Exclusion Excluded,
    int Replica = -1,
    ShardNeeds? Needs = null,
    JobKind Kind = JobKind.Train,
    double StepWork = 1,
    int CommitEvery = 1,
    StartStateDelta? Delta = null,
    WorkerId? Preferred = null)
{
    /// <summary>
    /// What a challenge draws from and a dispute bisects: a training shard's committed segments, ceil(H / c) (the
    /// steps themselves when <see cref="CommitEvery"/> is 1), an inference shard's batches.
    /// </summary>
    public int Segments => Kind == JobKind.Train ? (InnerSteps + Every - 1) / Every : InnerSteps;

    /// <summary>The segments a resume at local step <paramref name="resumedAt"/> (a committed step) took over.</summary>
    public int SegmentsBefore(int resumedAt) => Kind == JobKind.Train ? resumedAt / Every : resumedAt;

    /// <summary>Whether a checkpoint at <paramref name="localStep"/> with <paramref name="digests"/> committed digests
    /// fits this shard: taken at a committed step, carrying the leaves up to it.</summary>
    public bool CommitsAt(int localStep, int digests) =>
        localStep % Every == 0 && localStep < InnerSteps && digests == localStep / Every + 1;

    private int Every => Math.Clamp(CommitEvery, 1, Math.Max(1, InnerSteps));

    /// <summary>
    /// One of two replicas of a replicated-mode shard (0 or 1), whose parent is a <see cref="ReplicatedShardActor"/>.
    /// </summary>
    public bool Replicated => Replica >= 0;

    /// <summary>Whether a message a worker sent names this shard (its job, round and shard).</summary>
    public bool Names(JobId jobId, int round, int shard) => jobId == JobId && round == Round && shard == Shard;

    public string Label => $"{JobId} round {Round} shard {Shard}";
}

/// <summary>
/// What a shard actor talks to: its coordinator's scheduler (<see cref="Scheduler"/>), the blob service and its store, the
/// verifiers, and the EIP-712 domain results are signed for (<see cref="Network"/> gives null while the chain is not
/// known yet), and what narrows a challenge's draw (<see cref="Challenges"/>: nothing, unless a rehearsal).
/// </summary>
public sealed record ShardServices(
    Akka.Actor.IActorRef Scheduler,
    Akka.Actor.IActorRef Blobs,
    Blobs.BlobStore Store,
    Akka.Actor.IActorRef Verifiers,
    Func<Contracts.Signing.ClaimDomain?> Network,
    Verification.IChallengeFaults? Challenges = null);

using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Jobs;

/// <summary>What every JobActor on a node shares; <see cref="Scheduler"/> is the node's own scheduler; <see cref="Settlement"/> is the SettlementActor's proxy, null on a
/// network that does not settle; <see cref="Network"/> the EIP-712 domain workers sign their results for (no chain when
/// null); <see cref="Convictions"/> the conviction board's proxy (none in tests that need no purge);
/// <see cref="Challenges"/> what narrows a challenge's draw (nothing, unless a rehearsal);
/// <see cref="VerifierPreparation"/> where a starting job asks every verifier to prepare (the verifier dispatch; none:
/// nobody is asked).</summary>
public sealed record JobServices(JobCompute Compute, BlobStore Store, IActorRef Blobs, IActorRef Scheduler,
    IActorRef Catalog, IActorRef Verifiers, IActorRef? Settlement = null, Func<ClaimDomain?>? Network = null,
    IActorRef? Convictions = null, Verification.IChallengeFaults? Challenges = null,
    IActorRef? VerifierPreparation = null)
{
    /// <summary>Every verifier loads the job's session now, beside its first round's training
    /// (<see cref="PrepareVerification"/>).</summary>
    public void PrepareVerifiers(JobState job) => VerifierPreparation?.Tell(
        new Akka.Routing.Broadcast(new PrepareVerification(job.JobId, job.SpecRef, job.BaseDirectory, Blobs)));

    /// <summary>The actor that runs shard <paramref name="shard"/> of the job's open round: one, or two
    /// replicas.</summary>
    public Props ShardProps(JobState job, int shard, Config config)
    {
        var spec = job.Spec!;
        var order = new ShardOrder(job.JobId, job.Round, shard, job.SpecRef, job.BaseDirectory,
            job.ShardStarts[shard], job.ShardStartSizes[shard], job.StepsOf(shard), spec.Verification.Samples,
            WorkerOptions.NumericClassFor(spec.Threads), job.Exclusion,
            Needs: Market.NetworkRules.Needs(spec, config), Kind: spec.Kind,
            StepWork: Kinds.JobKinds.Of(spec).StepWork(spec), CommitEvery: spec.Training?.CommitEvery ?? 1,
            Delta: job.StartDeltaOf(shard), Preferred: job.PreviousWorkerOf(shard));
        Props Single(ShardOrder o) => ShardActor.Props(o, Scheduler, Blobs, Store, Verifiers, Network, Challenges);
        return job.Replicas == 2 ? ReplicatedShardActor.Props(order, Single, Verifiers, Blobs) : Single(order);
    }

    /// <summary>
    /// While the job runs, the blob store keeps every blob its state references (round states, shard ends,
    /// checkpoints), its packed dataset's manifest and chunks (<see cref="DatasetPins"/>) and its spec's YAML, which it
    /// stores first (a job recovered from a journal written before specs
    /// were blobs did not store it); once it ends they are let go, and its result ages out of the store after the
    /// retention period like any other blob. <paramref name="purgeInputs"/>: the earlier rounds' states a purge may
    /// still need while the job runs, kept as well.
    /// </summary>
    public void PinBlobs(JobState job, IEnumerable<Sha256Digest>? purgeInputs = null)
    {
        if (job.IsTerminal)
        {
            Store.Unpin(job.JobId);
            return;
        }
        SpecBlobs.Keep(Store, job.SpecRef, job.SpecYaml);
        var pinned = new HashSet<Sha256Digest>(job.ReferencedBlobs());
        if (purgeInputs is not null) pinned.UnionWith(purgeInputs);
        pinned.UnionWith(DatasetPins.Of(Store, job.SpecRef, job.SpecYaml));
        Store.Pin(job.JobId, pinned);
    }

    /// <summary>The job's model as a blob offer, or why it cannot be had: the job has none (yet), or the store let it
    /// go after the retention period.</summary>
    public async Task<IGensynMessage> OfferResult(JobState job, IMaterializer materializer)
    {
        var id = job.JobId;
        if (job.Result is not { } result) return new RequestFailed(job.WhyNoResult(), InvalidInput: true);
        if (!Store.Contains(result.Model))
            return new RequestFailed($"job {id}'s model is no longer held (it was collected after the blob retention " +
                                     $"period); its hash was {result.Model}", InvalidInput: false);
        try
        {
            return await BlobTransfer.Offer(Store, result.Model, materializer);
        }
        catch (Exception e)
        {
            var why = e.GetBaseException().Message;
            return new RequestFailed($"job {id}'s model is unavailable: {why}", InvalidInput: false);
        }
    }
}

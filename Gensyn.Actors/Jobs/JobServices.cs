using Akka.Actor;
using Akka.Configuration;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Jobs;

/// <summary>What every JobActor on a node shares; <see cref="Settlement"/> is the SettlementActor's proxy, null on a
/// network that does not settle; <see cref="Network"/> the EIP-712 domain workers sign their results for (no chain when
/// null).</summary>
public sealed record JobServices(JobCompute Compute, BlobStore Store, IActorRef Blobs, IActorRef Registry, IActorRef Catalog,
    IActorRef Verifiers, IActorRef? Settlement = null, Func<ClaimDomain?>? Network = null)
{
    /// <summary>The actor that runs shard <paramref name="shard"/> of the job's open round: one, or two replicas.</summary>
    public Props ShardProps(JobState job, int shard, Config config)
    {
        var spec = job.Spec!;
        var order = new ShardOrder(job.JobId, job.Round, shard, job.SpecYaml, job.BaseDirectory,
            job.ShardStarts[shard], job.ShardStartSizes[shard], job.StepsOf(shard), spec.Verification.Samples,
            WorkerOptions.NumericClassFor(spec.Training.Threads), job.Exclusion,
            Needs: Market.NetworkRules.Needs(spec, config), Inference: spec.IsInference,
            StepWork: Gensyn.Training.Models.ModelCost.StepWork(spec));
        Props Single(ShardOrder o) => ShardActor.Props(o, Registry, Blobs, Store, Verifiers, Network);
        return job.Replicas == 2 ? ReplicatedShardActor.Props(order, Single, Verifiers, Blobs) : Single(order);
    }
}

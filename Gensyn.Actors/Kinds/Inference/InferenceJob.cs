using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Training.Data;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Models;

namespace Gensyn.Actors.Kinds.Inference;

/// <summary>
/// An inference job: one round whose shards split the dataset's test split into batches, each shard predicted from
/// the requester's weights; the result is the joined predictions as a CSV. Shard results are verified by recomputing
/// challenged batches.
/// </summary>
public sealed class InferenceJob : IJobKind
{
    public static readonly InferenceJob Instance = new();

    private InferenceJob() { }

    public JobKind Kind => JobKind.Inference;
    public string Name => "inference";
    public string StepUnit => "batches";
    public string Section => "inference";

    public string Describe(JobSpec spec) =>
        $"submitted {spec.Name}: inference with {Path.GetFileName(spec.Inference!.Weights)} in " +
        $"{spec.Shards} shard(s) of batches of {spec.BatchSize}";

    /// <summary>One forward batch.</summary>
    public double StepWork(JobSpec spec) => ModelCost.InferenceStepWork(spec);

    /// <summary>The batches of the largest shard.</summary>
    public int StepsPerResult(JobSpec spec) => ModelCost.InferenceBatches(spec);

    public double StepBytes(JobSpec spec) => ModelCost.InferenceBytes(spec);

    /// <summary>Not limited by steps: one forward pass over the test split, bounded by the dataset.</summary>
    public long? LimitedSteps(JobSpec spec) => null;

    public IKindCoordinator Coordinator(BlobStore blobs, DataSource data) =>
        new InferenceCoordinator(blobs, data);

    public Props ShardActor(ShardOrder order, ShardServices services) =>
        Props.Create(() => new InferenceShardActor(order, services));

    public Task<CommittedShard> RunShard(ShardRun run, CancellationToken token) =>
        InferenceShardRunner.Run(run, token);

    public IKindJudge Judge(DataSource data) => new InferenceKindJudge(data);
}

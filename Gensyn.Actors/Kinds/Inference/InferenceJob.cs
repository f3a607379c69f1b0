using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Jobs;

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

    public string Describe(JobSpec spec) =>
        $"submitted {spec.Name}: inference with {Path.GetFileName(spec.Inference!.Weights)} in " +
        $"{spec.Training.Shards} shard(s) of batches of {spec.Training.BatchSize}";

    public IKindCoordinator Coordinator(BlobStore blobs, string dataDirectory) =>
        new InferenceCoordinator(blobs, dataDirectory);

    public Task<CommittedShard> RunShard(ShardRun run, CancellationToken token) =>
        InferenceShardRunner.Run(run, token);

    public IKindJudge Judge(string dataDirectory) => new InferenceKindJudge(dataDirectory);
}

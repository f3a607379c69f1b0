using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Actors.Kinds.Training;

/// <summary>
/// A training job: rounds of DiLoCo over shards of H inner steps each, aggregated by the outer optimizer into a model
/// that is bit-identical to `gensyn train`'s; shard results are verified by spot-checks of committed steps.
/// </summary>
public sealed class TrainingJob : IJobKind
{
    public static readonly TrainingJob Instance = new();

    private TrainingJob() { }

    public JobKind Kind => JobKind.Train;
    public string Name => "train";
    public string StepUnit => "steps";

    public string Describe(JobSpec spec) =>
        $"submitted {spec.Name}: {spec.Training.Rounds} round(s) x {spec.Training.Shards} shard(s) x " +
        $"{spec.Training.InnerSteps} step(s), seed {spec.Training.Seed}";

    public IKindCoordinator Coordinator(BlobStore blobs, string dataDirectory) =>
        new TrainingCoordinator(blobs, dataDirectory);

    public Task<CommittedShard> RunShard(ShardRun run, CancellationToken token) =>
        TrainingShardRunner.Run(run, token);

    public IKindJudge Judge(string dataDirectory) => new TrainingJudge(dataDirectory);
}

using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Training.Data;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Models;

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
    public string Section => "training";

    public string Describe(JobSpec spec) =>
        $"submitted {spec.Name}: {spec.Rounds} round(s) x {spec.Shards} shard(s) x " +
        $"{spec.InnerSteps} step(s), seed {spec.RequireTraining().Seed}";

    public double StepWork(JobSpec spec) => ModelCost.TrainingStepWork(spec);

    /// <summary>H inner steps.</summary>
    public int StepsPerResult(JobSpec spec) => spec.InnerSteps;

    public double StepBytes(JobSpec spec) => ModelCost.TrainingBytes(spec);

    /// <summary>Rounds x shards x inner steps x replicas.</summary>
    public long? LimitedSteps(JobSpec spec) => spec.Results * spec.InnerSteps;

    public IKindCoordinator Coordinator(BlobStore blobs, DataSource data) =>
        new TrainingCoordinator(blobs, data);

    public Props ShardActor(ShardOrder order, ShardServices services) =>
        Props.Create(() => new SpotCheckShardActor(order, services));

    public Task<CommittedShard> RunShard(ShardRun run, CancellationToken token) =>
        TrainingShardRunner.Run(run, token);

    public IKindJudge Judge(DataSource data) => new TrainingJudge(data);
}

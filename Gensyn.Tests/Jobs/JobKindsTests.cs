using Gensyn.Actors.Blobs;
using Gensyn.Actors.Kinds;
using Gensyn.Actors.Kinds.Inference;
using Gensyn.Actors.Kinds.Training;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Inference;
using Gensyn.Training.Models;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The job-kind seam: the lookup from a spec to its kind, and each kind's coordinator arithmetic driven round by round
/// as a coordinator and its workers drive it, against the single-process runs (`gensyn train`, local inference).
/// </summary>
public sealed class JobKindsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private const string Model = "{ kind: mlp, hidden: [16] }";

    private JobSpec InferenceSpec(string weights) => JobSpecParser.Parse($$"""
        name: kinds-infer
        kind: inference
        model: {{Model}}
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        inference: { weights: {{weights}}, shards: 3, batch-size: 10 }
        verification: { samples: 3 }
        """, _dir.Path);

    [Fact]
    public void Every_spec_kind_has_exactly_one_registered_job_kind()
    {
        foreach (var kind in Enum.GetValues<JobKind>())
        {
            Assert.Single(JobKinds.All, k => k.Kind == kind);
            Assert.Equal(kind, JobKinds.Of(kind).Kind);
        }
        Assert.Equal(JobKinds.All.Count, JobKinds.All.Select(k => k.Name).Distinct().Count());
    }

    [Fact]
    public void A_training_spec_is_a_training_job_and_an_inference_spec_an_inference_job()
    {
        var training = JobKinds.Of(TestSpecs.Synthetic());
        Assert.Same(TrainingJob.Instance, training);
        Assert.Equal(("train", "steps", "training"), (training.Name, training.StepUnit, training.Section));
        var inference = JobKinds.Of(InferenceSpec("model.safetensors"));
        Assert.Same(InferenceJob.Instance, inference);
        Assert.Equal(("inference", "batches", "inference"), (inference.Name, inference.StepUnit, inference.Section));
    }

    [Fact]
    public void A_training_job_counts_its_steps_against_the_limit_and_an_inference_job_does_not()
    {
        var spec = TestSpecs.Synthetic(rounds: 3, shards: 2, innerSteps: 8);
        Assert.Equal(3L * 2 * 8, TrainingJob.Instance.LimitedSteps(spec));
        Assert.Equal(8, TrainingJob.Instance.StepsPerResult(spec));
        Assert.Equal(ModelCost.TrainingBytes(spec), TrainingJob.Instance.StepBytes(spec));
        var inference = InferenceSpec("model.safetensors");
        Assert.Null(InferenceJob.Instance.LimitedSteps(inference));
        Assert.True(InferenceJob.Instance.StepBytes(inference) < ModelCost.TrainingBytes(inference),
            "an inference batch needs no gradients or optimizer state");
    }

    [Fact]
    public void The_training_coordinator_ends_at_the_model_gensyn_train_makes()
    {
        var spec = TestSpecs.Synthetic(rounds: 2, shards: 2, innerSteps: 6);
        var store = new BlobStore(_dir.File("blobs"));
        using var coordinator = TrainingJob.Instance.Coordinator(store, _dir.Path);
        using var data = Gensyn.Training.Data.DatasetLoader.Load(spec, _dir.Path);
        using var worker = new TrainingSession(spec, data);
        Sha256Digest? global = null;
        IReadOnlyList<Sha256Digest>? ends = null;
        for (var round = 0; round < spec.Rounds; round++)
        {
            var prepared = coordinator.Prepare(spec, round, global, ends);
            Assert.Equal(spec.Shards, prepared.ShardStarts.Count);
            ends = prepared.ShardStarts.Select((start, shard) =>
            {
                var task = ShardTask.For(spec, round, shard, data.Train.Count);
                var outcome = worker.RunShard(task, Load(store, start));
                return store.Put(CheckpointFile.Serialize(outcome.FinalState));
            }).ToList();
            var aggregated = coordinator.Aggregate(spec, round, prepared.Global, ends);
            Assert.Equal(round, aggregated.Round);
            global = aggregated.Global;
        }
        var completed = coordinator.Finish(spec, global!.Value);

        var local = LocalJobRunner.Run(spec, _dir.Path);
        Assert.Equal(local.FinalDigest, completed.FinalDigest);
        Assert.Equal(local.Test.Accuracy, completed.TestAccuracy);
        Assert.True(store.Contains(completed.Model));
    }

    [Fact]
    public void The_inference_coordinator_joins_the_shards_predictions_into_the_local_runs_result()
    {
        var weightsPath = _dir.File("model.safetensors");
        var train = JobSpecParser.Parse(TestSpecs.SyntheticYaml(Model, rounds: 1, shards: 1, innerSteps: 20),
            _dir.Path);
        CheckpointFile.SaveModel(weightsPath, LocalJobRunner.Run(train, _dir.Path).FinalState,
            new Dictionary<string, string> { ["gensyn.job"] = train.Name });
        var local = InferenceSpec(weightsPath);
        var store = new BlobStore(_dir.File("blobs"));
        var weightsBlob = store.Put(File.ReadAllBytes(weightsPath));
        var reference = DataPaths.BlobReference(weightsBlob.ToString());
        var spec = local with { Inference = local.Inference! with { Weights = reference } };
        using var coordinator = InferenceJob.Instance.Coordinator(store, _dir.Path);

        var prepared = coordinator.Prepare(spec, 0, null, null);
        Assert.All(prepared.ShardStarts, start => Assert.Equal(prepared.Global, start));
        using var data = Gensyn.Training.Data.DatasetLoader.Load(spec, _dir.Path);
        using var worker = new InferenceSession(spec, data);
        var weights = Load(store, prepared.Global);
        Assert.Equal(Enumerable.Range(0, 3).Select(s => worker.Shard(s).Batches), prepared.ShardSteps!);
        var ends = Enumerable.Range(0, 3)
            .Select(shard => PredictionsFile.Serialize(worker.RunShard(weights, shard).Predictions))
            .Select(store.Put).ToList();
        var aggregated = coordinator.Aggregate(spec, 0, prepared.Global, ends);
        var completed = coordinator.Finish(spec, aggregated.Global);

        var expected = LocalInference.Run(local, _dir.Path);
        Assert.Equal(expected.FinalDigest, aggregated.Digest);
        Assert.Equal(expected.FinalDigest, completed.FinalDigest);
        Assert.Equal(expected.Csv, store.Get(completed.Model));
    }

    [Fact]
    public void The_inference_coordinator_refuses_weights_it_does_not_hold()
    {
        var store = new BlobStore(_dir.File("blobs"));
        var missing = DataPaths.BlobReference(Sha256Digest.Of([1, 2, 3]).ToString());
        var spec = InferenceSpec("model.safetensors");
        spec = spec with { Inference = spec.Inference! with { Weights = missing } };
        using var coordinator = InferenceJob.Instance.Coordinator(store, _dir.Path);
        var e = Assert.Throws<InvalidOperationException>(() => coordinator.Prepare(spec, 0, null, null));
        Assert.Contains("does not hold blob", e.Message);
    }

    private static StateSnapshot Load(BlobStore store, Sha256Digest hash) =>
        CheckpointFile.Deserialize(store.Get(hash), $"blob {hash}").State;

    public void Dispose() => _dir.Dispose();
}

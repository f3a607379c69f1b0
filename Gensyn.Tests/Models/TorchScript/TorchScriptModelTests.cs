using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Models;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Models.TorchScript;

/// <summary>A requester's TorchScript module as a model: its spec, its checks, and the determinism contract it trains under.</summary>
public sealed class TorchScriptModelTests
{
    [Fact]
    public void A_local_spec_names_the_module_file_relative_to_the_spec_and_its_loss()
    {
        var spec = JobSpecParser.Parse("""
            name: ts
            model: { kind: torchscript, path: tiny_csv.pt, loss: mse }
            dataset: { name: synthetic, features: 4, classes: 3 }
            """, TorchScriptFixtures.Folder);

        Assert.Equal(ModelKind.TorchScript, spec.Model.Kind);
        Assert.Equal(TorchScriptFixtures.Path("tiny_csv"), spec.Model.Module);
        Assert.Equal(ModelLoss.Mse, spec.Model.Loss);
    }

    [Fact]
    public void A_network_spec_names_the_module_by_hash_and_refuses_a_path()
    {
        var hex = new string('a', 64);
        var spec = JobSpecParser.ParseNetwork($"name: ts\nmodel: {{ kind: torchscript, module: sha256:{hex} }}\ndataset: {{ name: mnist }}\n");
        Assert.Equal("sha256:" + hex, spec.Model.Module);
        Assert.Equal(ModelLoss.CrossEntropy, spec.Model.Loss);

        var e = Assert.Throws<JobSpecException>(() =>
            JobSpecParser.ParseNetwork("name: ts\nmodel: { kind: torchscript, path: /etc/net.pt }\ndataset: { name: mnist }\n"));
        Assert.Contains(e.Errors, line => line.StartsWith("model.path: on the network a module is named by its hash", StringComparison.Ordinal));
    }

    [Fact]
    public void Module_fields_are_refused_for_a_built_in_model()
    {
        var e = Assert.Throws<JobSpecException>(() =>
            JobSpecParser.Parse("name: ts\nmodel: { kind: mlp, path: net.pt, loss: mse }\ndataset: { name: mnist }\n", "/tmp"));
        Assert.Contains("model.path: applies only to kind torchscript", e.Errors);
        Assert.Contains("model.loss: applies only to kind torchscript", e.Errors);
    }

    [Fact]
    public void The_mnist_module_has_the_parameters_of_the_built_in_mlp_of_the_same_shape()
    {
        var mnist = new DataShape([1, 28, 28], 10, IsSequence: false);
        var builtIn = new ModelSpec(ModelKind.Mlp, [128], [32, 64], 128, 2, 4, 64);
        var module = builtIn with { Kind = ModelKind.TorchScript, Module = TorchScriptFixtures.Path("mnist_mlp") };

        Assert.Equal(ModelCost.Parameters(builtIn, mnist), ModelCost.Parameters(module, mnist));
        // Its FLOPs are 2 per parameter, biases included, where the built-in count leaves biases out: within 0.2%.
        Assert.InRange(ModelCost.ForwardFlops(module, mnist, 64) / ModelCost.ForwardFlops(builtIn, mnist, 64), 1, 1.002);
    }

    [Theory]
    [InlineData("no_parameters", "the module has no parameters")]
    [InlineData("returns_tuple", "model: the module's forward must take one Tensor (a batch of examples) and return one Tensor")]
    public void A_module_that_cannot_be_trained_is_refused_in_one_line(string module, string expected)
    {
        var problem = TorchScriptModules.SubmissionProblem(TorchScriptFixtures.Spec(module));

        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void A_module_for_another_input_shape_is_refused_by_a_dry_forward_pass()
    {
        var spec = JobSpecParser.Parse(TorchScriptFixtures.Yaml().Replace("features: 4", "features: 5"), TorchScriptFixtures.Folder);

        var problem = TorchScriptModules.SubmissionProblem(spec);

        Assert.StartsWith("model: the module's forward must take one Tensor", problem);
        Assert.Contains("[2, 5]", problem);
    }

    [Fact]
    public void A_module_whose_training_state_exceeds_the_memory_requirement_is_refused()
    {
        var spec = TorchScriptFixtures.Spec("mnist_mlp", "requirements: { min-memory-gb: 0.001 }")
            with { Dataset = TorchScriptFixtures.Spec().Dataset with { Format = DatasetFormat.Mnist, Name = "mnist" } };

        var problem = TorchScriptModules.SubmissionProblem(spec);

        Assert.Equal("model: 101,770 parameters with their gradients and optimizer state need about 0.002 GB, over " +
                     "requirements.min-memory-gb (0.001); raise it or use a smaller module", problem);
        Assert.Null(TorchScriptModules.SubmissionProblem(spec with { Requirements = spec.Requirements with { MinMemoryGb = 1 } }));
    }

    [Fact]
    public void Initial_parameters_are_the_modules_own_whatever_the_seed()
    {
        var spec = TorchScriptFixtures.Spec();
        using var data = DatasetLoader.Load(spec, Path.GetTempPath());
        using var a = new TrainingSession(spec, data);
        using var b = new TrainingSession(spec with { Training = spec.Training! with { Seed = 99 } }, data);

        Assert.Equal(a.InitialState.Digest(), b.InitialState.Digest());
        Assert.Equal(["param/hidden.bias", "param/hidden.weight", "param/out.bias", "param/out.weight"],
                     a.InitialState.WithPrefix("param/").Select(t => t.Name));
    }

    [Fact]
    public void Two_runs_of_the_same_spec_train_bit_identical_weights()
    {
        var spec = TorchScriptFixtures.Spec();

        var first = LocalJobRunner.Run(spec, Path.GetTempPath());
        var second = LocalJobRunner.Run(spec, Path.GetTempPath());

        Assert.Equal(first.FinalDigest, second.FinalDigest);
        Assert.NotEqual(InitialValues(spec), first.FinalState.WithPrefix("param/").First().Values);
    }

    [Fact]
    public void A_verifier_replaying_a_sampled_step_in_a_fresh_session_gets_the_digest_the_worker_committed()
    {
        var spec = TorchScriptFixtures.Spec();
        using var data = DatasetLoader.Load(spec, Path.GetTempPath());
        var task = ShardTask.For(spec, round: 1, shard: 0, data.Train.Count);
        ShardOutcome outcome;
        var states = new List<StateSnapshot>();
        using (var worker = new TrainingSession(spec, data))
        {
            var start = worker.InitialState;
            outcome = worker.RunShard(task, start);
            states.Add(start);
            for (var step = 1; step <= task.InnerSteps; step++) states.Add(worker.ReplayStep(task, states[^1], step));
        }

        // The verifier's session is new: its first step is a replay of the worker's fifth.
        using var verifier = new TrainingSession(spec, data);
        var replayed = verifier.ReplayStep(task, states[4], 5);

        Assert.Equal(outcome.StepDigests[5], replayed.Digest());
        Assert.Equal(outcome.StepDigests[task.InnerSteps], states[^1].Digest());
    }

    [Fact]
    public void A_step_a_worker_ran_late_on_its_thread_replays_bit_for_bit_as_the_first_step_on_another()
    {
        // libtorch specialises a TorchScript graph after its first runs, per thread; a verifier's replay is its first run.
        var spec = TorchScriptFixtures.Spec();
        using var data = DatasetLoader.Load(spec, Path.GetTempPath());
        var task = ShardTask.For(spec, round: 1, shard: 1, data.Train.Count);
        var checkpoints = new List<ShardCheckpoint>();
        ShardOutcome outcome = null!;
        OnThread(() =>
        {
            using var worker = new TrainingSession(spec, data);
            outcome = worker.RunShard(task, worker.InitialState, new Checkpoints(checkpoints));
        });
        var fourth = checkpoints.Single(c => c.LocalStep == 4).State;

        Sha256Digest replayed = default;
        OnThread(() =>
        {
            using var verifier = new TrainingSession(spec, data);
            replayed = verifier.ReplayStep(task, fourth, 5).Digest();
        });

        Assert.Equal(outcome.StepDigests[5], replayed);
    }

    private static void OnThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the thread failed", failure);
    }

    private sealed class Checkpoints(List<ShardCheckpoint> into) : IShardObserver
    {
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) { lock (into) into.Add(checkpoint); }
    }

    [Fact]
    public void The_model_file_is_keyed_by_the_modules_own_parameter_names()
    {
        var spec = TorchScriptFixtures.Spec();
        var outcome = LocalJobRunner.Run(spec, Path.GetTempPath());

        var bytes = CheckpointFile.SerializeModel(outcome.FinalState, new Dictionary<string, string>());
        var (tensors, _) = SafeTensors.Deserialize(bytes, "model");

        Assert.Equal(["hidden.bias", "hidden.weight", "out.bias", "out.weight"], tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal([8L, 4L], tensors.Single(t => t.Name == "hidden.weight").Shape);
    }

    [Fact]
    public void An_inference_job_runs_the_trained_module_to_the_accuracy_training_reported()
    {
        using var temp = new TempDirectory();
        // An inference job draws its synthetic data with seed 0: train on the same data.
        var train = TorchScriptFixtures.Spec();
        var trained = LocalJobRunner.Run(train with { Training = train.Training! with { Seed = 0 } }, Path.GetTempPath());
        CheckpointFile.SaveModel(temp.File("model.safetensors"), trained.FinalState, new Dictionary<string, string>());
        var spec = JobSpecParser.Parse($$"""
            name: ts-predict
            kind: inference
            model: { kind: torchscript, path: {{TorchScriptFixtures.Path("tiny_csv")}} }
            dataset: { name: synthetic, samples: 512, features: 4, classes: 3 }
            inference: { weights: model.safetensors, shards: 2, batch-size: 32 }
            """, temp.Path);

        var outcome = Gensyn.Training.Inference.LocalInference.Run(spec, Path.GetTempPath());

        Assert.Equal(trained.Test.Accuracy, outcome.Accuracy, 6);
        Assert.Equal(trained.Test.Examples, outcome.Predictions.Count);
    }

    [Fact]
    public void A_module_trains_with_mse_against_the_one_hot_label()
    {
        var spec = TorchScriptFixtures.Spec(loss: "mse");

        var outcome = LocalJobRunner.Run(spec, Path.GetTempPath());

        Assert.True(double.IsFinite(outcome.Test.Loss));
        Assert.InRange(outcome.Test.Loss, 0, 1);
    }

    private static float[] InitialValues(JobSpec spec)
    {
        using var data = DatasetLoader.Load(spec, Path.GetTempPath());
        using var session = new TrainingSession(spec, data);
        return session.InitialState.WithPrefix("param/").First().Values;
    }
}

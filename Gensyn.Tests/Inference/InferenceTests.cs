using Akka.Actor;
using Gensyn.Actors.Kinds;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Inference;

/// <summary>
/// Inference jobs without a cluster: the spec, the predictions file and its commitment, a shard's run, the verifier's
/// recomputation (honest, forged, mismatched), and a local run's determinism.
/// </summary>
public sealed class InferenceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private const string Model = "{ kind: mlp, hidden: [16] }";

    private static string Yaml(string inference = "{ weights: model.safetensors, shards: 3, batch-size: 10 }", string extra = "") => $$"""
        name: infer-test
        kind: inference
        model: {{Model}}
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        inference: {{inference}}
        verification: { samples: 3 }
        {{extra}}
        """;

    /// <summary>Trained-looking weights for the spec's model: a short training run's parameters, saved as `gensyn train --out` does.</summary>
    private string WriteWeights(string name = "model.safetensors", string model = Model)
    {
        var train = JobSpecParser.Parse(TestSpecs.SyntheticYaml(model, rounds: 1, shards: 1, innerSteps: 20), _directory.Path);
        var outcome = LocalJobRunner.Run(train, _directory.Path);
        var path = Path.Combine(_directory.Path, name);
        CheckpointFile.SaveModel(path, outcome.FinalState, new Dictionary<string, string> { ["gensyn.job"] = train.Name });
        return path;
    }

    private JobSpec Spec(string yaml) => JobSpecParser.Parse(yaml, _directory.Path);

    private static string Errors(string yaml)
    {
        var e = Assert.Throws<JobSpecException>(() => JobSpecParser.Parse(yaml, Path.GetTempPath()));
        return string.Join("\n", e.Errors);
    }

    [Fact]
    public void An_inference_spec_parses_into_one_round_of_its_shards()
    {
        var spec = Spec(Yaml("{ weights: model.safetensors, shards: 4, batch-size: 250, threads: 2 }"));
        Assert.True(spec.IsInference);
        Assert.Equal(Path.Combine(_directory.Path, "model.safetensors"), spec.Inference!.Weights);
        Assert.Equal((1, 4, 250, 2), (spec.Rounds, spec.Shards, spec.BatchSize, spec.Threads));
        Assert.Null(spec.Training);
        Assert.False(Spec(TestSpecs.SyntheticYaml()).IsInference);
    }

    [Theory]
    [InlineData("{ shards: 2 }", "inference.weights: required")]
    [InlineData("{ weights: m.safetensors, shards: 0 }", "inference.shards:")]
    [InlineData("{ weights: m.safetensors, batch-size: 0 }", "inference.batch-size:")]
    [InlineData("{ weights: m.safetensors, epochs: 2 }", "inference.epochs:")]
    public void An_invalid_inference_section_is_reported_by_its_path(string inference, string expected) =>
        Assert.Contains(expected, Errors(Yaml(inference)));

    [Fact]
    public void Inference_rejects_training_fields_replicated_mode_and_language_models()
    {
        Assert.Contains("training: applies only to kind train", Errors(Yaml(extra: "training: { rounds: 2 }")));
        Assert.Contains("verification.mode: inference jobs are verified by spot-checks", Errors(Yaml().Replace("{ samples: 3 }", "{ mode: replicated }")));
        Assert.Contains("inference: applies only to kind inference", Errors(TestSpecs.SyntheticYaml() + "\ninference: { weights: m.safetensors }\n"));
        Assert.Contains("kind:", Errors(Yaml().Replace("kind: inference", "kind: predict")));
        Assert.Contains("inference: required", Errors(Yaml().Replace("inference: { weights: model.safetensors, shards: 3, batch-size: 10 }", "")));
    }

    [Fact]
    public void A_predictions_file_round_trips_and_its_leaves_bind_shard_batch_and_logits()
    {
        var p = new Predictions(2, 40, 5, 3, 2, Enumerable.Range(0, 15).Select(i => i * 0.5f).ToArray());
        var back = PredictionsFile.Deserialize(PredictionsFile.Serialize(p), "test");
        Assert.Equal((2, 40L, 5, 3, 2), (back.Shard, back.ItemStart, back.Count, back.Classes, back.BatchSize));
        Assert.Equal(p.Logits, back.Logits);
        Assert.Equal(3, back.Batches);
        Assert.Equal(p.Root(), back.Root());
        var leaves = p.Leaves();
        Assert.Equal(3, leaves.Distinct().Count());
        Assert.NotEqual(leaves[0], PredictionsFile.Leaf(3, 0, 40, 3, p.BatchLogits(0)));   // another shard
        Assert.NotEqual(leaves[0], PredictionsFile.Leaf(2, 1, 40, 3, p.BatchLogits(0)));   // another batch
        var changed = (float[])p.Logits.Clone();
        changed[1] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(changed[1]) + 1);  // one ulp
        Assert.NotEqual(p.Root(), (p with { Logits = changed }).Root());
    }

    [Fact]
    public void A_malformed_predictions_file_gets_a_one_line_error()
    {
        var bytes = PredictionsFile.Serialize(new Predictions(0, 0, 4, 2, 2, new float[8]));
        Assert.Contains("is not a predictions file", Assert.Throws<PredictionsException>(() => PredictionsFile.Deserialize([1, 2, 3], "blob x")).Message);
        Assert.Contains("need", Assert.Throws<PredictionsException>(() => PredictionsFile.Deserialize(bytes[..^4], "blob x")).Message);
        var wrong = (byte[])bytes.Clone();
        wrong[24] = 0;   // zero classes
        Assert.Contains("impossible header", Assert.Throws<PredictionsException>(() => PredictionsFile.Deserialize(wrong, "blob x")).Message);
    }

    [Fact]
    public void Shards_split_the_items_contiguously_and_joining_them_restores_every_item_in_order()
    {
        var shards = Enumerable.Range(0, 3).Select(s => InferenceShard.For(10, 3, s, 2)).ToList();
        Assert.Equal([(0L, 3), (3L, 3), (6L, 4)], shards.Select(s => (s.ItemStart, s.Count)));
        Assert.Equal([2, 2, 2], shards.Select(s => s.Batches));
        var parts = shards.Select(s => new Predictions(s.Shard, s.ItemStart, s.Count, 1, 2, Enumerable.Range((int)s.ItemStart, s.Count).Select(i => (float)i).ToArray())).ToList();
        var joined = PredictionsFile.Join(parts, 2);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), joined.Logits);
        Assert.Throws<PredictionsException>(() => PredictionsFile.Join([parts[0], parts[2]], 2));
    }

    [Fact]
    public void Weights_of_another_model_are_refused_with_the_tensor_that_does_not_fit()
    {
        WriteWeights("wide.safetensors", "{ kind: mlp, hidden: [32] }");
        var spec = Spec(Yaml("{ weights: wide.safetensors, shards: 2, batch-size: 10 }"));
        using var data = DatasetLoader.Load(spec, _directory.Path);
        using var session = new InferenceSession(spec, data);
        var e = Assert.Throws<CheckpointException>(() => session.LoadWeights(spec.Inference!.Weights));
        Assert.Contains("belong to another model spec", e.Message);
        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => session.LoadWeights(Path.Combine(_directory.Path, "none.safetensors"))).Message);
    }

    /// <summary>A worker's honest run of shard 1 and what a verifier needs to judge it.</summary>
    private sealed class Judging : IDisposable
    {
        public required JobSpec Spec { get; init; }
        public required DatasetSplits Data { get; init; }
        public required InferenceSession Session { get; init; }
        public required Dictionary<Sha256Digest, byte[]> Blobs { get; init; }
        public required Sha256Digest Weights { get; init; }
        public required InferenceOutcome Outcome { get; init; }

        public Sha256Digest Put(byte[] bytes)
        {
            var hash = Sha256Digest.Of(bytes);
            Blobs[hash] = bytes;
            return hash;
        }

        public VerifyShard Request(Sha256Digest predictions, Sha256Digest root, IReadOnlyList<int> batches, bool crossClass = false) =>
            new((JobId)"job-00000001", SpecRef.Of(Yaml()), "/", 0, 1, 1, (WorkerId)"w1", "0x0", root, Weights, predictions, batches, [], crossClass,
                ActorRefs.Nobody, Inference: true);

        public ShardVerdict Judge(VerifyShard request) => InferenceJudge.Judge(request, Session, h => Blobs[h], 1e-5);

        public void Dispose()
        {
            Session.Dispose();
            Data.Dispose();
        }
    }

    private Judging Honest()
    {
        WriteWeights();
        var spec = Spec(Yaml());
        var data = DatasetLoader.Load(spec, _directory.Path);
        var session = new InferenceSession(spec, data);
        var weights = session.LoadWeights(spec.Inference!.Weights);
        var blobs = new Dictionary<Sha256Digest, byte[]>();
        var weightBytes = CheckpointFile.Serialize(weights);
        var outcome = session.RunShard(weights, 1);
        var judging = new Judging { Spec = spec, Data = data, Session = session, Blobs = blobs, Weights = Sha256Digest.Of(weightBytes), Outcome = outcome };
        judging.Put(weightBytes);
        return judging;
    }

    [Fact]
    public void An_honest_shard_is_accepted_and_its_batches_recompute_bit_for_bit()
    {
        using var j = Honest();
        var batches = Enumerable.Range(1, j.Outcome.Losses.Count).ToList();
        var verdict = j.Judge(j.Request(j.Put(PredictionsFile.Serialize(j.Outcome.Predictions)), j.Outcome.Root, batches));
        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.Contains("bit for bit", verdict.Reason);
        // What the worker ran is what the session's one-batch recomputation gives.
        Assert.Equal(j.Outcome.Predictions.BatchLogits(2).ToArray(), j.Session.BatchLogits(j.Session.LoadWeights(j.Spec.Inference!.Weights), 1, 2));
    }

    [Fact]
    public void A_worker_that_commits_to_made_up_logits_is_caught_as_fraud_on_the_forged_batch()
    {
        using var j = Honest();
        var weights = j.Session.LoadWeights(j.Spec.Inference!.Weights);
        // A lazy worker: batch 2 (0-based 1) never ran; its root is consistent with the forged predictions.
        var lazy = j.Session.RunShard(weights, 1, fake: b => b == 1);
        var hash = j.Put(PredictionsFile.Serialize(lazy.Predictions));
        var verdict = j.Judge(j.Request(hash, lazy.Root, [1, 2]));
        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(2, verdict.Step);
        Assert.Equal(lazy.Predictions.Leaves()[1], verdict.Claimed);
        Assert.Equal(j.Outcome.Predictions.Leaves()[1], verdict.Expected);
        // A challenge that misses the forged batch accepts it: detection is by sampling.
        Assert.Equal(VerdictOutcome.Accepted, j.Judge(j.Request(hash, lazy.Root, [1, 3])).Outcome);
    }

    [Fact]
    public void Predictions_that_do_not_match_the_commitment_or_the_shard_are_invalid()
    {
        using var j = Honest();
        var honest = j.Put(PredictionsFile.Serialize(j.Outcome.Predictions));
        var otherRoot = Sha256Digest.Of("another root"u8);
        Assert.Contains("not to the committed root", j.Judge(j.Request(honest, otherRoot, [1])).Reason);
        Assert.Equal(VerdictOutcome.Invalid, j.Judge(j.Request(honest, otherRoot, [1])).Outcome);

        var moved = j.Outcome.Predictions with { ItemStart = 0 };
        var verdict = j.Judge(j.Request(j.Put(PredictionsFile.Serialize(moved)), moved.Root(), [1]));
        Assert.Equal(VerdictOutcome.Invalid, verdict.Outcome);
        Assert.Contains("the shard is items", verdict.Reason);

        var garbage = j.Put([1, 2, 3, 4]);
        Assert.Equal(VerdictOutcome.Invalid, j.Judge(j.Request(garbage, j.Outcome.Root, [1])).Outcome);
    }

    [Fact]
    public void Across_numeric_classes_logits_within_the_tolerance_pass_and_beyond_it_are_fraud()
    {
        using var j = Honest();
        Predictions Nudged(float by)
        {
            var logits = (float[])j.Outcome.Predictions.Logits.Clone();
            for (var i = 0; i < logits.Length; i++) logits[i] += by * (i % 2 == 0 ? 1 : -1);
            return j.Outcome.Predictions with { Logits = logits };
        }
        var close = Nudged(1e-7f);
        var accepted = j.Judge(j.Request(j.Put(PredictionsFile.Serialize(close)), close.Root(), [1, 2], crossClass: true));
        Assert.Equal(VerdictOutcome.Accepted, accepted.Outcome);
        Assert.Contains("within", accepted.Reason);
        var far = Nudged(0.01f);
        Assert.Equal(VerdictOutcome.Fraud, j.Judge(j.Request(j.Put(PredictionsFile.Serialize(far)), far.Root(), [1, 2], crossClass: true)).Outcome);
    }

    [Fact]
    public void A_local_inference_run_is_deterministic_and_scores_the_predictions_against_the_labels()
    {
        WriteWeights();
        var spec = Spec(Yaml());
        var first = LocalInference.Run(spec, _directory.Path);
        var second = LocalInference.Run(spec, _directory.Path);
        Assert.Equal(first.FinalDigest, second.FinalDigest);
        Assert.Equal(first.Csv, second.Csv);
        using var data = DatasetLoader.Load(spec, _directory.Path);
        Assert.Equal(data.Test.Count, first.Predictions.Count);
        var lines = System.Text.Encoding.UTF8.GetString(first.Csv).TrimEnd('\n').Split('\n');
        Assert.Equal("item,label,prediction,logit_0,logit_1,logit_2", lines[0]);
        Assert.Equal(first.Predictions.Count + 1, lines.Length);
        var correct = lines.Skip(1).Count(l => l.Split(',')[1] == l.Split(',')[2]);
        Assert.Equal((double)correct / first.Predictions.Count, first.Accuracy, 12);
        Assert.True(first.Loss > 0);
    }

    [Fact]
    public void An_inference_job_is_priced_per_forward_batch_of_its_largest_shard()
    {
        var spec = Spec(Yaml());   // synthetic: 512 samples, a test split of 102 items in 3 shards of 10-item batches
        Assert.Equal(4, JobKinds.Of(spec).StepsPerResult(spec));   // shards of 34 items: 4 batches each
        var forward = Gensyn.Training.Models.ModelCost.ForwardWork(spec.Model, Gensyn.Training.Models.ModelCost.ShapeOf(spec), 10);
        Assert.Equal(forward, JobKinds.Of(spec).StepWork(spec));
        // A forward batch is a third of a training step at the same batch size.
        var train = Spec(TestSpecs.SyntheticYaml(model: Model, batchSize: 10));
        Assert.Equal(JobKinds.Of(train).StepWork(train) / 3, forward, 12);
        var mnist = JobSpecParser.Parse(Yaml("{ weights: m.safetensors, shards: 4, batch-size: 250 }").Replace("{ name: synthetic, samples: 512, features: 12, classes: 3 }", "{ name: mnist }"), "/");
        Assert.Equal(10, JobKinds.Of(mnist).StepsPerResult(mnist));
    }

    public void Dispose() => _directory.Dispose();
}

using Gensyn.Contracts.Jobs;
using Xunit;

namespace Gensyn.Tests.Jobs;

public sealed class JobSpecParserTests
{
    private static readonly string BaseDirectory = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "gensyn-spec-tests", "jobs"));

    // The smallest valid spec; invalid cases append or swap one section so each test shows only what it breaks.
    private const string Minimal = """
        name: job
        model: { kind: mlp }
        dataset: { name: mnist }

        """;

    private static JobSpec Parse(string yaml) => JobSpecParser.Parse(yaml, BaseDirectory);

    private static IReadOnlyList<string> ErrorsOf(string yaml) => Assert.Throws<JobSpecException>(() => Parse(yaml)).Errors;

    private static string ErrorOf(string yaml) => Assert.Single(ErrorsOf(yaml));

    private static string InBase(params string[] parts) => Path.Combine([BaseDirectory, .. parts]);

    [Fact]
    public void Full_valid_spec_is_read_into_the_expected_record()
    {
        var spec = Parse("""
            name: tiny-shakespeare-2
            model:
              kind: charlm
              d-model: 96
              layers: 3
              heads: 6
              context: 128
            dataset:
              format: text
              paths: [corpus/a.txt, /srv/text]
              include: "*.txt"
              test-fraction: 0.25
            training:
              rounds: 10
              shards: 4
              inner-steps: 500
              batch-size: 32
              seed: 7
              threads: 8
              checkpoint-every: 50
              commit-every: 10
              inner-optimizer: { kind: sgd, lr: 0.05, momentum: 0.8, weight-decay: 0.001 }
              outer-optimizer: { kind: nesterov, lr: 0.5, momentum: 0.95 }
            verification: { mode: replicated, samples: 3 }
            requirements: { device: cuda, min-memory-gb: 12.5 }
            budget: { token: USDC, max-price-per-hour: 2, max-total: 1e3 }
            """);

        Assert.Equal("tiny-shakespeare-2", spec.Name);
        Assert.Equal(ModelKind.CharLm, spec.Model.Kind);
        Assert.Equal((96, 3, 6, 128), (spec.Model.DModel, spec.Model.Layers, spec.Model.Heads, spec.Model.Context));
        Assert.Equal([128], spec.Model.Hidden);
        Assert.Equal([32, 64], spec.Model.Channels);

        Assert.Null(spec.Dataset.Name);
        Assert.Equal(DatasetFormat.Text, spec.Dataset.Format);
        Assert.Equal([InBase("corpus", "a.txt"), "/srv/text"], spec.Dataset.TextPaths);
        Assert.Equal("*.txt", spec.Dataset.TextInclude);
        Assert.Equal(0.25, spec.Dataset.TestFraction);
        Assert.Null(spec.Dataset.TrainCsv);
        Assert.Null(spec.Dataset.TrainImages);

        Assert.Equal(
            new TrainingSpec(10, 4, 500, 32, 7, 8, 50,
                new InnerOptimizerSpec(InnerOptimizerKind.Sgd, 0.05, 0.8, 0.001, 0.9, 0.999, 1e-8),
                new OuterOptimizerSpec(0.5, 0.95), CommitEvery: 10),
            spec.Training);
        Assert.Equal(new VerificationSpec(VerificationMode.Replicated, 3), spec.Verification);
        Assert.Equal(new RequirementsSpec(DeviceRequirement.Cuda, 12.5), spec.Requirements);
        Assert.Equal(new BudgetSpec("USDC", 2, 1000), spec.Budget);
    }

    [Fact]
    public void Minimal_spec_gets_the_documented_defaults()
    {
        var spec = Parse(Minimal);

        Assert.Equal("job", spec.Name);
        Assert.Equal(ModelKind.Mlp, spec.Model.Kind);
        Assert.Equal([128], spec.Model.Hidden);
        Assert.Equal([32, 64], spec.Model.Channels);
        Assert.Equal((128, 2, 4, 64), (spec.Model.DModel, spec.Model.Layers, spec.Model.Heads, spec.Model.Context));

        Assert.Equal(
            new DatasetSpec("mnist", DatasetFormat.Mnist, null, null, null, null, null, null, 0, spec.Dataset.TextPaths, "*", 0.1, 2048, 16, 4),
            spec.Dataset);
        Assert.Empty(spec.Dataset.TextPaths);

        Assert.Equal(
            new TrainingSpec(1, 1, 100, 64, 42, 1, 100,
                new InnerOptimizerSpec(InnerOptimizerKind.AdamW, 0.001, 0, 0.01, 0.9, 0.999, 1e-8),
                new OuterOptimizerSpec(0.7, 0.9), CommitEvery: TrainingSpec.DefaultCommitEvery),
            spec.Training);
        Assert.Equal(new VerificationSpec(VerificationMode.SpotCheck, VerificationSpec.DefaultSamples), spec.Verification);
        Assert.Equal(new RequirementsSpec(DeviceRequirement.Any, 0), spec.Requirements);
        Assert.Equal(new BudgetSpec("GENS", 0.5, 100), spec.Budget);
    }

    [Fact]
    public void A_packed_dataset_is_named_by_its_manifest_and_never_together_with_files()
    {
        var manifest = "sha256:" + new string('a', 64);
        var packed = Parse($"name: p\nmodel: {{ kind: mlp }}\ndataset: {{ format: csv, manifest: {manifest} }}\n");
        Assert.Equal((DatasetFormat.Csv, manifest, (string?)null), (packed.Dataset.Format, packed.Dataset.Manifest, packed.Dataset.TrainCsv));
        Assert.Equal(manifest, Parse($"name: p\nmodel: {{ kind: mlp }}\ndataset: {{ name: mnist, manifest: {manifest} }}\n").Dataset.Manifest);
        Assert.Null(Parse(Minimal).Dataset.Manifest);

        Assert.Contains(ErrorsOf($"name: p\nmodel: {{ kind: mlp }}\ndataset: {{ format: csv, manifest: {manifest}, train: a.csv, test: b.csv }}\n"),
            e => e.StartsWith("dataset.train: a packed dataset (manifest) is read from its chunks", StringComparison.Ordinal));
        Assert.Contains(ErrorsOf("name: p\nmodel: { kind: mlp }\ndataset: { format: csv, manifest: data.csv }\n"),
            e => e.StartsWith("dataset.manifest: ", StringComparison.Ordinal) && e.Contains("sha256:<64 hex digits>", StringComparison.Ordinal));
        Assert.Contains(ErrorsOf($"name: p\nmodel: {{ kind: mlp }}\ndataset: {{ name: synthetic, manifest: {manifest} }}\n"),
            e => e.StartsWith("dataset.manifest: applies only to", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_sections_mean_all_defaults()
    {
        var spec = Parse(Minimal + "training:\nverification:\n");

        Assert.Equal(Parse(Minimal).Training, spec.Training);
    }

    [Fact]
    public void A_training_spec_has_its_training_section_and_no_inference_section()
    {
        var spec = Parse(Minimal + "training: { rounds: 3, inner-steps: 40 }");

        Assert.Equal(JobKind.Train, spec.Kind);
        Assert.Null(spec.Inference);
        Assert.Same(spec.Training, spec.RequireTraining());
        Assert.Equal((3, 40), (spec.RequireTraining().Rounds, spec.RequireTraining().InnerSteps));
    }

    [Fact]
    public void An_inference_spec_has_no_training_section_and_no_optimizer_settings()
    {
        var spec = Parse("""
            name: job
            kind: inference
            model: { kind: mlp }
            dataset: { name: mnist }
            inference: { weights: model.safetensors, shards: 3, batch-size: 100, threads: 2 }
            """);

        Assert.Equal(JobKind.Inference, spec.Kind);
        Assert.Null(spec.Training);
        Assert.Equal(new InferenceSpec(InBase("model.safetensors"), 3, 100, 2), spec.Inference);
        var e = Assert.Throws<InvalidOperationException>(() => spec.RequireTraining());
        Assert.Contains("has no training section", e.Message);
    }

    [Fact]
    public void Sgd_defaults_to_momentum_and_no_weight_decay()
    {
        var inner = Parse(Minimal + "training: { inner-optimizer: { kind: sgd } }").RequireTraining().InnerOptimizer;

        Assert.Equal(new InnerOptimizerSpec(InnerOptimizerKind.Sgd, 0.001, 0.9, 0, 0.9, 0.999, 1e-8), inner);
    }

    [Fact]
    public void Momentum_is_checked_but_ignored_for_adamw()
    {
        Assert.Equal(0, Parse(Minimal + "training: { inner-optimizer: { momentum: 0.5 } }").RequireTraining().InnerOptimizer.Momentum);
        Assert.Equal(
            "training.inner-optimizer.momentum: must be < 1, got 1",
            ErrorOf(Minimal + "training: { inner-optimizer: { momentum: 1 } }"));
    }

    [Fact]
    public void Checkpoint_interval_defaults_to_inner_steps_and_may_exceed_it()
    {
        Assert.Equal(250, Parse(Minimal + "training: { inner-steps: 250 }").RequireTraining().CheckpointEvery);
        Assert.Equal(1000, Parse(Minimal + "training: { inner-steps: 250, checkpoint-every: 1000 }").RequireTraining().CheckpointEvery);
    }

    [Fact]
    public void Synthetic_dataset_reads_its_sizes()
    {
        var dataset = Parse("""
            name: synth
            model: { kind: mlp, hidden: [256, 64] }
            dataset: { name: synthetic, samples: 512, features: 8, classes: 3 }
            """).Dataset;

        Assert.Equal(("synthetic", DatasetFormat.Synthetic), (dataset.Name, dataset.Format));
        Assert.Equal((512, 8, 3), (dataset.SyntheticSamples, dataset.SyntheticFeatures, dataset.SyntheticClasses));
    }

    [Fact]
    public void Relative_idx_paths_are_resolved_against_the_base_directory()
    {
        var spec = Parse("""
            name: digits
            model: { kind: cnn, channels: [8] }
            dataset:
              format: idx
              train: { images: data/train-images.idx, labels: ../shared/train-labels.idx }
              test: { images: /abs/test-images.idx, labels: ./test-labels.idx }
            """);

        Assert.Equal([8], spec.Model.Channels);
        Assert.Equal(DatasetFormat.Idx, spec.Dataset.Format);
        Assert.Equal(InBase("data", "train-images.idx"), spec.Dataset.TrainImages);
        Assert.Equal(Path.GetFullPath(Path.Combine(BaseDirectory, "..", "shared", "train-labels.idx")), spec.Dataset.TrainLabels);
        Assert.Equal("/abs/test-images.idx", spec.Dataset.TestImages);
        Assert.Equal(InBase("test-labels.idx"), spec.Dataset.TestLabels);
    }

    [Fact]
    public void Csv_paths_are_resolved_and_label_column_is_read()
    {
        var dataset = Parse("""
            name: iris
            model: { kind: mlp }
            dataset: { format: csv, train: iris/train.csv, test: iris/test.csv, label-column: 4 }
            """).Dataset;

        Assert.Equal((InBase("iris", "train.csv"), InBase("iris", "test.csv")), (dataset.TrainCsv, dataset.TestCsv));
        Assert.Equal(4, dataset.LabelColumn);
    }

    [Fact]
    public void Zero_inner_steps_is_below_the_minimum()
    {
        Assert.Equal("training.inner-steps: must be >= 1, got 0", ErrorOf(Minimal + "training: { inner-steps: 0 }"));
    }

    [Fact]
    public void Rounds_must_be_an_integer()
    {
        Assert.Equal("training.rounds: must be an integer, got 'ten'", ErrorOf(Minimal + "training: { rounds: ten }"));
    }

    [Fact]
    public void A_decimal_is_not_an_integer()
    {
        Assert.Equal("training.batch-size: must be an integer, got '1.5'", ErrorOf(Minimal + "training: { batch-size: 1.5 }"));
    }

    [Fact]
    public void An_integer_too_big_for_its_field_is_out_of_range_rather_than_not_a_number()
    {
        Assert.Equal("training.rounds: must be <= 100000, got 3000000000", ErrorOf(Minimal + "training: { rounds: 3000000000 }"));
    }

    [Fact]
    public void Eval_every_defaults_to_every_fourth_round_and_the_last_is_always_evaluated()
    {
        var byDefault = Parse(Minimal + "training: { rounds: 10 }").RequireTraining();
        var every3 = Parse(Minimal + "training: { rounds: 7, eval-every: 3 }").RequireTraining();

        Assert.Equal(TrainingSpec.DefaultEvalEvery, byDefault.EvalEvery);
        Assert.Equal([3, 7, 9], Enumerable.Range(0, 10).Where(byDefault.EvaluatesRound));
        Assert.Equal([2, 5, 6], Enumerable.Range(0, 7).Where(every3.EvaluatesRound));
        Assert.Equal("training.eval-every: must be >= 1, got 0", ErrorOf(Minimal + "training: { eval-every: 0 }"));
    }

    [Fact]
    public void Seed_must_not_be_negative()
    {
        Assert.Equal("training.seed: must be >= 0, got -1", ErrorOf(Minimal + "training: { seed: -1 }"));
    }

    [Fact]
    public void Unknown_field_is_reported_with_its_path_and_the_expected_names()
    {
        Assert.Equal(
            "training.innner-steps: unknown field; expected one of rounds, shards, inner-steps, batch-size, seed, threads, "
            + "checkpoint-every, commit-every, eval-every, inner-optimizer, outer-optimizer, outer-compression, "
            + "outer-topk",
            ErrorOf(Minimal + "training: { innner-steps: 10 }"));
    }

    [Fact]
    public void Unknown_top_level_field_is_reported()
    {
        Assert.Equal(
            "trainig: unknown field; expected one of name, kind, model, dataset, training, inference, verification, requirements, budget",
            ErrorOf(Minimal + "trainig: { rounds: 2 }"));
    }

    [Fact]
    public void Unknown_model_kind_lists_the_choices()
    {
        Assert.Equal(
            "model.kind: must be one of mlp, cnn, charlm, torchscript, got 'resnet'",
            ErrorOf("name: job\nmodel: { kind: resnet }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Missing_name_is_required()
    {
        Assert.Equal("name: required", ErrorOf("model: { kind: mlp }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Missing_model_section_is_reported_once()
    {
        Assert.Equal("model: required", ErrorOf("name: job\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Name_must_be_lowercase_letters_digits_and_dashes()
    {
        Assert.Equal(
            "name: must use only a-z, 0-9 and '-', starting with a letter or digit, got 'My Job'",
            ErrorOf("name: My Job\nmodel: { kind: mlp }\ndataset: { name: mnist }\n"));
        Assert.Equal(
            "name: must use only a-z, 0-9 and '-', starting with a letter or digit, got '-job'",
            ErrorOf("name: -job\nmodel: { kind: mlp }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Name_longer_than_64_characters_is_rejected()
    {
        Assert.Equal(
            "name: must be 1 to 64 characters, got 65",
            ErrorOf($"name: {new string('a', 65)}\nmodel: {{ kind: mlp }}\ndataset: {{ name: mnist }}\n"));
    }

    [Fact]
    public void Yaml_syntax_error_reports_its_line_and_column()
    {
        Assert.Equal(
            "line 4, column 2: While parsing a block mapping, did not find expected key.",
            ErrorOf("name: job\nmodel:\n  kind: mlp\n dataset: { name: mnist }\n"));
    }

    [Fact]
    public void Unclosed_flow_mapping_is_a_syntax_error_not_a_crash()
    {
        Assert.Equal(
            "line 2, column 14: cannot read the YAML after this point; look for an unclosed '{', '[' or quote",
            ErrorOf("name: job\nmodel: { kind: mlp\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Duplicate_key_is_a_syntax_error()
    {
        Assert.Equal("line 2, column 1: Duplicate key name", ErrorOf("name: job\nname: other\n"));
    }

    [Fact]
    public void Top_level_list_is_rejected()
    {
        Assert.Equal(
            "the job spec must be a mapping of fields (name, kind, model, dataset, training, inference, verification, requirements, budget), got a list",
            ErrorOf("- name: job\n- model: mlp\n"));
    }

    [Fact]
    public void Empty_document_is_rejected()
    {
        Assert.Equal("the job spec is empty; expected a mapping with at least name, model and dataset", ErrorOf("# nothing yet\n"));
    }

    [Fact]
    public void Section_that_is_not_a_mapping_is_rejected()
    {
        Assert.Equal("training: must be a mapping", ErrorOf(Minimal + "training: [1, 2]"));
    }

    [Fact]
    public void Cnn_needs_image_data()
    {
        Assert.Equal(
            "model.kind: cnn needs image data (dataset name mnist or format idx), got csv",
            ErrorOf("name: job\nmodel: { kind: cnn }\ndataset: { format: csv, train: a.csv, test: b.csv }\n"));
    }

    [Fact]
    public void Charlm_needs_a_text_dataset()
    {
        Assert.Equal(
            "model.kind: charlm needs a text dataset (dataset.format: text), got mnist",
            ErrorOf("name: job\nmodel: { kind: charlm }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Text_data_needs_a_charlm()
    {
        Assert.Equal(
            "dataset.format: text data needs model.kind charlm, got mlp",
            ErrorOf("name: job\nmodel: { kind: mlp }\ndataset: { format: text, paths: [books] }\n"));
    }

    [Fact]
    public void Model_width_must_be_divisible_by_the_number_of_heads()
    {
        Assert.Equal(
            "model.d-model: must be divisible by model.heads (4), got 130",
            ErrorOf("name: job\nmodel: { kind: charlm, d-model: 130 }\ndataset: { format: text, paths: [books] }\n"));
    }

    [Fact]
    public void Field_for_another_model_kind_is_rejected()
    {
        Assert.Equal(
            "model.hidden: applies only to kind mlp",
            ErrorOf("name: job\nmodel: { kind: cnn, hidden: [64] }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Adam_betas_are_rejected_for_sgd()
    {
        Assert.Equal(
            "training.inner-optimizer.beta1: applies only to kind adamw",
            ErrorOf(Minimal + "training: { inner-optimizer: { kind: sgd, beta1: 0.8 } }"));
    }

    [Fact]
    public void Hidden_layer_list_entries_are_checked_by_index()
    {
        Assert.Equal(
            "model.hidden[1]: must be >= 1, got 0",
            ErrorOf("name: job\nmodel: { kind: mlp, hidden: [64, 0] }\ndataset: { name: mnist }\n"));
        Assert.Equal(
            "model.hidden: must have 1 to 8 entries, got 0",
            ErrorOf("name: job\nmodel: { kind: mlp, hidden: [] }\ndataset: { name: mnist }\n"));
    }

    [Fact]
    public void Dataset_with_both_name_and_format_is_rejected()
    {
        Assert.Equal(
            "dataset: give either name (mnist, synthetic) or format (idx, csv, text), not both",
            ErrorOf("name: job\nmodel: { kind: mlp }\ndataset: { name: mnist, format: idx }\n"));
    }

    [Fact]
    public void Dataset_with_neither_name_nor_format_is_rejected()
    {
        Assert.Equal(
            "dataset: needs name (mnist, synthetic) or format (idx, csv, text)",
            ErrorOf("name: job\nmodel: { kind: mlp }\ndataset: { samples: 100 }\n"));
    }

    [Fact]
    public void Idx_dataset_needs_labels_for_both_splits()
    {
        Assert.Equal(
            "dataset.train.labels: required",
            ErrorOf("""
                name: job
                model: { kind: mlp }
                dataset:
                  format: idx
                  train: { images: train-images }
                  test: { images: test-images, labels: test-labels }
                """));
    }

    [Fact]
    public void Text_dataset_needs_at_least_one_path()
    {
        Assert.Equal(
            "dataset.paths: must have at least 1 entry, got 0",
            ErrorOf("name: job\nmodel: { kind: charlm }\ndataset: { format: text, paths: [] }\n"));
    }

    [Fact]
    public void Negative_budget_is_rejected()
    {
        Assert.Equal("budget.max-total: must be > 0, got -5", ErrorOf(Minimal + "budget: { max-total: -5 }"));
    }

    [Fact]
    public void Zero_learning_rate_is_rejected()
    {
        Assert.Equal(
            "training.inner-optimizer.lr: must be > 0, got 0",
            ErrorOf(Minimal + "training: { inner-optimizer: { lr: 0 } }"));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData(".nan")]
    [InlineData(".inf")]
    [InlineData("1e400")]
    public void Non_finite_learning_rate_is_rejected(string lr)
    {
        Assert.Equal(
            $"training.outer-optimizer.lr: must be a finite number, got '{lr}'",
            ErrorOf(Minimal + $"training: {{ outer-optimizer: {{ lr: {lr} }} }}"));
    }

    [Fact]
    public void Unknown_budget_token_lists_the_choices()
    {
        Assert.Equal("budget.token: must be one of GENS, USDC, got 'ETH'", ErrorOf(Minimal + "budget: { token: ETH }"));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var exception = Assert.Throws<JobSpecException>(() => Parse("""
            name: Bad Name
            model: { kind: mlp }
            dataset: { name: mnist }
            training: { rounds: 0, colour: blue }
            """));

        string[] expected =
        [
            "name: must use only a-z, 0-9 and '-', starting with a letter or digit, got 'Bad Name'",
            "training.rounds: must be >= 1, got 0",
            "training.colour: unknown field; expected one of rounds, shards, inner-steps, batch-size, seed, threads, "
            + "checkpoint-every, commit-every, eval-every, inner-optimizer, outer-optimizer, outer-compression, "
            + "outer-topk",
        ];
        Assert.Equal(expected, exception.Errors);
        Assert.Equal(string.Join('\n', expected), exception.Message);
    }

    [Fact]
    public void Parsing_a_missing_file_says_so()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-spec-{Guid.NewGuid():N}.yaml");

        var exception = Assert.Throws<JobSpecException>(() => JobSpecParser.ParseFile(path));

        Assert.Equal($"{path}: file not found; check the path to the job spec", Assert.Single(exception.Errors));
    }

    [Fact]
    public void Parsing_a_file_resolves_paths_against_its_folder()
    {
        var folder = Directory.CreateTempSubdirectory("gensyn-spec-");
        try
        {
            var path = Path.Combine(folder.FullName, "job.yaml");
            File.WriteAllText(path, "name: job\nmodel: { kind: mlp }\ndataset: { format: csv, train: train.csv, test: test.csv }\n");

            var dataset = JobSpecParser.ParseFile(path).Dataset;

            Assert.Equal(Path.Combine(folder.FullName, "train.csv"), dataset.TrainCsv);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

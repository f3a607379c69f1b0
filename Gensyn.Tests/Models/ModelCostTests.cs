using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Models;

namespace Gensyn.Tests.Models;

/// <summary>The analytic FLOPs of a training step, checked against values worked out by hand and against the models' own weights.</summary>
public class ModelCostTests
{
    private static JobSpec Spec(string model, string dataset, int batch) => JobSpecParser.Parse($"""
        name: cost
        model: {model}
        dataset: {dataset}
        training: {"{"} batch-size: {batch} {"}"}
        """, Directory.GetCurrentDirectory());

    private static readonly DataShape Mnist = new([1, 28, 28], 10, IsSequence: false);

    [Fact]
    public void The_reference_step_is_78_053_376_FLOPs_and_an_MLP_784_256_10_at_batch_64_is_one_reference_step()
    {
        // 2 x 64 x (784 x 256 + 256 x 10) = 26,017,792 forward; x 3 for forward + backward.
        Assert.Equal(26_017_792, ModelCost.ReferenceForwardFlops);
        Assert.Equal(78_053_376, ModelCost.ReferenceStepFlops);
        var spec = Spec("{ kind: mlp, hidden: [256] }", "{ name: mnist }", 64);
        Assert.Equal(1.0, ModelCost.TrainingStepWork(spec), 12);
        Assert.Equal(2.0, ModelCost.TrainingStepWork(Spec("{ kind: mlp, hidden: [256] }", "{ name: mnist }", 128)), 12);
    }

    [Fact]
    public void An_MLP_costs_two_FLOPs_per_weight_per_example_forward()
    {
        // 12 -> 16 -> 3 at batch 16: 16 x 2 x (12 x 16 + 16 x 3) = 7,680.
        var spec = TestSpecs.Synthetic();
        Assert.Equal(7_680, ModelCost.ForwardFlops(spec.Model, ModelCost.ShapeOf(spec), 16));
        Assert.Equal(3 * 7_680, ModelCost.StepFlops(spec.Model, ModelCost.ShapeOf(spec), 16));
    }

    [Fact]
    public void A_CNN_counts_each_convolution_at_its_blocks_resolution_then_the_two_linear_layers()
    {
        // Per example: conv 1->32 at 28x28: 2 x 784 x 1 x 32 x 9 = 451,584; conv 32->64 at 14x14: 2 x 196 x 32 x 64 x 9 = 7,225,344;
        // Linear 64*7*7 -> 128: 2 x 3,136 x 128 = 802,816; Linear 128 -> 10: 2,560. Sum 8,482,304; x 64 = 542,867,456.
        var spec = Spec("{ kind: cnn, channels: [32, 64] }", "{ name: mnist }", 64);
        Assert.Equal(542_867_456, ModelCost.ForwardFlops(spec.Model, Mnist, 64));
        Assert.Equal(3 * 542_867_456 / 78_053_376.0, ModelCost.TrainingStepWork(spec), 12);  // ~20.87
    }

    [Fact]
    public void A_char_transformer_counts_its_projections_attention_over_the_full_context_and_the_head()
    {
        // d = 16, 1 layer, context 12, batch 4. Per sequence: 12 tokens x (12 x 16² + 256 x 16) = 86,016 MACs of products,
        // plus attention 2 x 12² x 16 = 4,608; x 2 FLOPs = 181,248; x 4 sequences = 724,992.
        using var dir = new TempDirectory();
        var spec = TestSpecs.CharLm(dir.Path);
        Assert.Equal(724_992, ModelCost.ForwardFlops(spec.Model, ModelCost.ShapeOf(spec), 4));

        // The charlm example (d 128, 2 layers, context 64, batch 32): ~72.2 reference steps a step, as its comment says.
        var example = JobSpecParser.ParseFile(Path.Combine(Cli.GensynProcess.RepositoryRoot, "examples", "charlm.yaml"));
        Assert.Equal(72.22, ModelCost.TrainingStepWork(example), 2);
    }

    [Fact]
    public void The_forward_only_work_is_a_third_of_a_training_step()
    {
        var mlp = new ModelSpec(ModelKind.Mlp, [256], [], 0, 0, 0, 0);
        Assert.Equal(1.0 / 3, ModelCost.ForwardWork(mlp, Mnist, 64), 12);
        Assert.Equal(2.0 / 3, ModelCost.ForwardWork(mlp, Mnist, 128), 12);
    }

    [Theory]
    [InlineData("{ kind: mlp, hidden: [64, 32] }", "{ name: synthetic, samples: 64, features: 20, classes: 5 }")]
    [InlineData("{ kind: mlp, hidden: [256] }", "{ name: mnist }")]
    [InlineData("{ kind: charlm, d-model: 32, layers: 2, heads: 4, context: 16 }", null)]
    public void Without_attention_the_count_is_two_FLOPs_per_weight_of_the_built_model(string model, string? dataset)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "corpus.txt"), new string('x', 4000));
        var spec = JobSpecParser.Parse($"name: cost\nmodel: {model}\ndataset: {dataset ?? "{ format: text, paths: [corpus.txt] }"}\n", dir.Path);
        var shape = ModelCost.ShapeOf(spec);
        using var built = ModelFactory.Create(spec.Model, shape, seed: 1);
        // Matrix weights (biases, norms and embedding tables excluded): one multiply-accumulate each per example (per token for charlm).
        var weights = built.named_parameters().Where(p => p.parameter.dim() == 2 && !p.name.StartsWith("tokens") && !p.name.StartsWith("positions"))
            .Sum(p => p.parameter.numel());
        var perExample = ModelCost.ForwardFlops(spec.Model, shape, 1);
        if (spec.Model.Kind == ModelKind.CharLm)
        {
            var context = spec.Model.Context;
            var attention = 2.0 * spec.Model.Layers * 2 * context * context * spec.Model.DModel;
            Assert.Equal(2.0 * weights * context, perExample - attention);
        }
        else Assert.Equal(2.0 * weights, perExample);
    }

    [Fact]
    public void IDX_data_is_priced_at_the_image_size_in_its_header_and_MNIST_size_when_the_file_is_not_here()
    {
        using var dir = new TempDirectory();
        var images = Path.Combine(dir.Path, "images.idx");
        // 3 images of 10 x 12 pixels (header only is read).
        File.WriteAllBytes(images, [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 10, 0, 0, 0, 12, .. new byte[360]]);
        const string files = "train: { images: images.idx, labels: labels.idx }, test: { images: images.idx, labels: labels.idx }";
        var spec = JobSpecParser.Parse($"name: cost\nmodel: {{ kind: mlp, hidden: [8] }}\ndataset: {{ format: idx, {files} }}\n", dir.Path);
        Assert.Equal([1L, 10, 12], ModelCost.ShapeOf(spec).FeatureShape);

        File.Delete(images);
        Assert.Equal([1L, 28, 28], ModelCost.ShapeOf(spec).FeatureShape);
    }
}

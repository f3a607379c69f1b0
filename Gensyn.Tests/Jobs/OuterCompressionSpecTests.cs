using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Jobs;

public sealed class OuterCompressionSpecTests
{
    private const string Minimal = """
        name: job
        model: { kind: mlp }
        dataset: { name: mnist }

        """;

    private static TrainingSpec Training(string fields) =>
        JobSpecParser.Parse(Minimal + $"training: {{ {fields} }}", Directory.GetCurrentDirectory()).RequireTraining();

    private static string ErrorOf(string fields) => Assert.Single(Assert.Throws<JobSpecException>(() =>
        JobSpecParser.Parse(Minimal + $"training: {{ {fields} }}", Directory.GetCurrentDirectory())).Errors);

    [Fact]
    public void Outer_steps_travel_as_int8_without_top_k_by_default()
    {
        Assert.Equal(new OuterCompressionSpec(OuterCompressionKind.Int8, 0), Training("rounds: 2").OuterCompression);
    }

    [Theory]
    [InlineData("outer-compression: none", OuterCompressionKind.None, 0.0)]
    [InlineData("outer-compression: fp16", OuterCompressionKind.Fp16, 0.0)]
    [InlineData("outer-compression: int8, outer-topk: 0.01", OuterCompressionKind.Int8, 0.01)]
    [InlineData("outer-topk: 0.05", OuterCompressionKind.Int8, 0.05)]
    public void Compression_and_top_k_are_read(string fields, OuterCompressionKind kind, double topK)
    {
        Assert.Equal(new OuterCompressionSpec(kind, topK), Training(fields).OuterCompression);
    }

    [Fact]
    public void An_unknown_codec_names_the_ones_there_are()
    {
        Assert.StartsWith("training.outer-compression: must be one of int8, fp16, none, got",
            ErrorOf("outer-compression: zstd"));
    }

    [Theory]
    [InlineData("outer-topk: 1", "training.outer-topk: must be < 1, got 1")]
    [InlineData("outer-topk: -0.1", "training.outer-topk: must be >= 0, got -0.1")]
    public void Top_k_is_a_fraction_below_one(string fields, string error)
    {
        Assert.Equal(error, ErrorOf(fields));
    }
}

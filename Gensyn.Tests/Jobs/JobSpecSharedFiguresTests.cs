using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The figures both kinds of job have (rounds, shards, inner steps, batch size, threads) are answered from the kind's
/// own section of the spec: a training job's training section, an inference job's inference section and its one round
/// (whose shards run once over their batches).
/// </summary>
public sealed class JobSpecSharedFiguresTests
{
    private const string Head = "model: { kind: mlp }\ndataset: { name: mnist }\n";

    [Fact]
    public void A_training_jobs_figures_are_its_training_sections()
    {
        var spec = JobSpecParser.ParseNetwork("name: shared-train\n" + Head +
            "training: { rounds: 3, shards: 5, inner-steps: 4, batch-size: 32, threads: 2 }\n");

        Assert.Equal((3, 5, 4, 32, 2), (spec.Rounds, spec.Shards, spec.InnerSteps, spec.BatchSize, spec.Threads));
        Assert.Equal(15, spec.Results);
    }

    [Fact]
    public void An_inference_jobs_figures_are_its_inference_sections_in_one_round()
    {
        var weights = "sha256:" + new string('a', 64);
        var spec = JobSpecParser.ParseNetwork("name: shared-infer\nkind: inference\n" + Head +
            $"inference: {{ weights: {weights}, shards: 6, batch-size: 40, threads: 3 }}\n");

        Assert.Equal((1, 6, 1, 40, 3), (spec.Rounds, spec.Shards, spec.InnerSteps, spec.BatchSize, spec.Threads));
        Assert.Equal(6, spec.Results);
    }
}

using Akka.Configuration;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Kinds;
using Gensyn.Actors.Market;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>The work a spec may ask of a network (cluster.hocon gensyn.limits), and the memory its model asks of each worker.</summary>
public sealed class JobLimitsTests
{
    private static JobSpec Spec(string yaml) => JobSpecParser.ParseNetwork("name: job\n" + yaml + "\n");

    [Fact]
    public void The_examples_fit_the_default_limits()
    {
        var root = Cli.GensynProcess.RepositoryRoot;
        foreach (var file in new[] { "mnist-mlp.yaml", "mnist-cnn.yaml", "charlm.yaml" })
            Assert.Empty(JobLimits.Default.Problems(JobSpecParser.ParseFile(Path.Combine(root, "examples", file))));
    }

    [Fact]
    public void Steps_of_the_whole_job_over_the_limit_are_refused_naming_rounds_shards_and_inner_steps()
    {
        var problem = Assert.Single(JobLimits.Default.Problems(Spec("model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { rounds: 100000, shards: 1024, inner-steps: 1000000 }")));
        Assert.Equal("training: rounds x shards x inner-steps = 102,400,000,000,000 steps; this network takes at most 100,000,000 per job (gensyn.limits.max-steps)", problem);
    }

    [Fact]
    public void Synthetic_data_over_the_limit_is_refused()
    {
        var problem = Assert.Single(JobLimits.Default.Problems(Spec("model: { kind: mlp, hidden: [4] }\ndataset: { name: synthetic, samples: 10000000, features: 100000 }")));
        Assert.StartsWith("dataset: samples x features = 1,000,000,000,000 values; this network takes at most 100,000,000", problem);
    }

    [Fact]
    public void A_batch_too_large_for_the_memory_limit_names_the_batch_size()
    {
        var problem = Assert.Single(JobLimits.Default.Problems(Spec("model: { kind: charlm, d-model: 512, layers: 8, heads: 64, context: 4096 }\n" +
                                                                    "dataset: { format: text, paths: [c] }\ntraining: { batch-size: 4096 }")));
        Assert.StartsWith("training.batch-size: a batch of 4,096 with this model needs about", problem);
        Assert.EndsWith("(gensyn.limits.max-memory-gb); lower the batch size or the model", problem);
    }

    [Fact]
    public void The_limits_are_read_from_the_gensyn_limits_section()
    {
        var limits = JobLimits.From(ConfigurationFactory.ParseString("gensyn.limits { max-steps = 10, max-parameters = 5, max-memory-gb = 0.5, max-synthetic-values = 7 }"));
        Assert.Equal(new JobLimits(10, 5, 0.5, 7), limits);
        Assert.Equal(JobLimits.Default, JobLimits.From(ConfigurationFactory.Empty));
        Assert.Equal(JobLimits.Default, JobLimits.From(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(Cli.GensynProcess.RepositoryRoot, "cluster.hocon")))));
    }

    [Fact]
    public void A_job_asks_workers_for_at_least_the_memory_its_model_needs_whatever_its_spec_says()
    {
        var spec = Spec("model: { kind: mlp, hidden: [8192, 8192] }\ndataset: { name: mnist }\nrequirements: { min-memory-gb: 0 }");
        var needs = NetworkRules.Needs(spec, new NetworkMinimums(16, 50), "cpu");
        Assert.True(needs.MinMemoryGb >= JobKinds.Of(spec).StepBytes(spec) / 1e9, $"{needs.MinMemoryGb} GB");
        Assert.True(needs.MinMemoryGb > 1, $"two 8192-wide layers train in more than 1 GB; asked {needs.MinMemoryGb} GB");
        // A spec that asks for more than its model needs keeps its own figure.
        Assert.Equal(64, NetworkRules.Needs(Spec("model: { kind: mlp }\ndataset: { name: mnist }\nrequirements: { min-memory-gb: 64 }"), new NetworkMinimums(16, 50), "cpu").MinMemoryGb);
    }
}

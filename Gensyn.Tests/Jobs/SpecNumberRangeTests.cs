using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Jobs;

/// <summary>Every number a spec holds, tried with NaN, infinity, a negative and an absurd value: each is refused with a line naming its field.</summary>
public sealed class SpecNumberRangeTests
{
    /// <summary>Each numeric field, as the section it sits in and how to write it there (the value goes where "{0}" is).</summary>
    public static TheoryData<string, string> Fields() => new()
    {
        { "model.hidden[0]", "model: { kind: mlp, hidden: [{0}] }\ndataset: { name: mnist }" },
        { "model.channels[0]", "model: { kind: cnn, channels: [{0}] }\ndataset: { name: mnist }" },
        { "model.d-model", "model: { kind: charlm, d-model: {0} }\ndataset: { format: text, paths: [c] }" },
        { "model.layers", "model: { kind: charlm, layers: {0} }\ndataset: { format: text, paths: [c] }" },
        { "model.heads", "model: { kind: charlm, heads: {0} }\ndataset: { format: text, paths: [c] }" },
        { "model.context", "model: { kind: charlm, context: {0} }\ndataset: { format: text, paths: [c] }" },
        { "dataset.samples", "model: { kind: mlp }\ndataset: { name: synthetic, samples: {0} }" },
        { "dataset.features", "model: { kind: mlp }\ndataset: { name: synthetic, features: {0} }" },
        { "dataset.classes", "model: { kind: mlp }\ndataset: { name: synthetic, classes: {0} }" },
        { "dataset.label-column", "model: { kind: mlp }\ndataset: { format: csv, train: a.csv, test: b.csv, label-column: {0} }" },
        { "dataset.test-fraction", "model: { kind: charlm }\ndataset: { format: text, paths: [c], test-fraction: {0} }" },
        { "training.rounds", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { rounds: {0} }" },
        { "training.shards", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { shards: {0} }" },
        { "training.inner-steps", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-steps: {0} }" },
        { "training.batch-size", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { batch-size: {0} }" },
        { "training.seed", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { seed: {0} }" },
        { "training.threads", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { threads: {0} }" },
        { "training.checkpoint-every", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { checkpoint-every: {0} }" },
        { "training.commit-every", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { commit-every: {0} }" },
        { "training.inner-optimizer.lr", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { lr: {0} } }" },
        { "training.inner-optimizer.momentum", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { kind: sgd, momentum: {0} } }" },
        { "training.inner-optimizer.weight-decay", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { weight-decay: {0} } }" },
        { "training.inner-optimizer.beta1", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { beta1: {0} } }" },
        { "training.inner-optimizer.beta2", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { beta2: {0} } }" },
        { "training.inner-optimizer.eps", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { inner-optimizer: { eps: {0} } }" },
        { "training.outer-optimizer.lr", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { outer-optimizer: { lr: {0} } }" },
        { "training.outer-optimizer.momentum", "model: { kind: mlp }\ndataset: { name: mnist }\ntraining: { outer-optimizer: { momentum: {0} } }" },
        { "inference.shards", "kind: inference\nmodel: { kind: mlp }\ndataset: { name: mnist }\ninference: { weights: w, shards: {0} }" },
        { "inference.batch-size", "kind: inference\nmodel: { kind: mlp }\ndataset: { name: mnist }\ninference: { weights: w, batch-size: {0} }" },
        { "inference.threads", "kind: inference\nmodel: { kind: mlp }\ndataset: { name: mnist }\ninference: { weights: w, threads: {0} }" },
        { "verification.samples", "model: { kind: mlp }\ndataset: { name: mnist }\nverification: { samples: {0} }" },
        { "requirements.min-memory-gb", "model: { kind: mlp }\ndataset: { name: mnist }\nrequirements: { min-memory-gb: {0} }" },
        { "requirements.min-bandwidth-mbps", "model: { kind: mlp }\ndataset: { name: mnist }\nrequirements: { min-bandwidth-mbps: {0} }" },
        { "budget.max-price-per-hour", "model: { kind: mlp }\ndataset: { name: mnist }\nbudget: { max-price-per-hour: {0} }" },
        { "budget.max-total", "model: { kind: mlp }\ndataset: { name: mnist }\nbudget: { max-total: {0} }" },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void NaN_infinity_negative_and_absurd_values_are_refused_naming_the_field(string field, string section)
    {
        foreach (var value in new[] { ".nan", "NaN", ".inf", "-.inf", "Infinity", "1e400", "-1", "-0.5", "1e30", "99999999999999999999999" })
        {
            var yaml = "name: job\n" + section.Replace("{0}", value) + "\n";
            var e = Assert.Throws<JobSpecException>(() => JobSpecParser.Parse(yaml, "/data"));
            Assert.True(e.Errors.Any(l => l.StartsWith(field + ": ")), $"{field} = {value}: {string.Join(" | ", e.Errors)}");
        }
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_sensible_value_in_each_field_is_accepted(string field, string section)
    {
        var value = field switch
        {
            "dataset.test-fraction" or "training.inner-optimizer.momentum" or "training.outer-optimizer.momentum" or "training.inner-optimizer.weight-decay"
                or "training.inner-optimizer.beta1" or "training.inner-optimizer.beta2" or "training.inner-optimizer.lr" or "training.outer-optimizer.lr" => "0.1",
            "training.inner-optimizer.eps" => "1e-8",
            "model.d-model" => "64",
            "dataset.samples" => "256",
            "dataset.label-column" or "requirements.min-memory-gb" or "requirements.min-bandwidth-mbps" or "budget.max-price-per-hour" => "0",
            _ => "2",
        };
        JobSpecParser.Parse("name: job\n" + section.Replace("{0}", value) + "\n", "/data");
    }
}

using Akka.Configuration;
using Gensyn.Actors.Kinds;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Models;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// How much work one job may ask of this network (cluster.hocon <c>gensyn.limits</c>): the spec's own ranges only say what can be
/// written, these say what a coordinator will take on. A job over a limit is refused at quote and submit, before anything is persisted
/// or deposited, with a line that names the field and the limit. The model's memory against each worker's memory is not a limit but a
/// requirement: <see cref="Market.NetworkRules.Needs(JobSpec, Config)"/> asks workers for at least the kind's
/// <see cref="IJobKind.StepBytes"/>.
/// </summary>
/// <param name="MaxSteps">Training steps of the whole job: rounds x shards x inner-steps x replicas.</param>
/// <param name="MaxParameters">Parameters of the model (its weights and biases).</param>
/// <param name="MaxMemoryGb">Estimated memory of one training step (or inference batch): the model, its optimizer state and a batch's activations.</param>
/// <param name="MaxSyntheticValues">Values of a synthetic dataset: samples x features.</param>
public sealed record JobLimits(long MaxSteps, long MaxParameters, double MaxMemoryGb, long MaxSyntheticValues)
{
    public static readonly JobLimits Default = new(MaxSteps: 100_000_000, MaxParameters: 100_000_000, MaxMemoryGb: 16, MaxSyntheticValues: 100_000_000);

    private const string Section = "gensyn.limits";

    public static JobLimits From(Config config) => new(
        config.GetLong($"{Section}.max-steps", Default.MaxSteps),
        config.GetLong($"{Section}.max-parameters", Default.MaxParameters),
        config.GetDouble($"{Section}.max-memory-gb", Default.MaxMemoryGb),
        config.GetLong($"{Section}.max-synthetic-values", Default.MaxSyntheticValues));

    /// <summary>Every limit <paramref name="spec"/> goes over, one line each; empty when it fits.</summary>
    public IReadOnlyList<string> Problems(JobSpec spec)
    {
        var problems = new List<string>();
        var kind = JobKinds.Of(spec);
        if (kind.LimitedSteps(spec) is { } steps && steps > MaxSteps)
            problems.Add($"training: rounds x shards x inner-steps{(spec.Replicas > 1 ? " x 2 replicas" : "")} = {steps:N0} steps; this network takes at most {MaxSteps:N0} per job ({Section}.max-steps)");
        var d = spec.Dataset;
        if (d.Format == DatasetFormat.Synthetic && (long)d.SyntheticSamples * d.SyntheticFeatures > MaxSyntheticValues)
            problems.Add($"dataset: samples x features = {(long)d.SyntheticSamples * d.SyntheticFeatures:N0} values; this network takes at most {MaxSyntheticValues:N0} ({Section}.max-synthetic-values)");
        // A TorchScript module is checked (sandbox, forward, memory) before anything counts its parameters.
        if (Training.Models.TorchScript.TorchScriptModules.SubmissionProblem(spec) is { } module)
        {
            problems.Add(module);
            return problems;
        }
        var parameters = ModelCost.Parameters(spec.Model, ModelCost.ShapeOf(spec));
        if (parameters > MaxParameters)
            problems.Add($"model: {parameters:N0} parameters; this network takes models of at most {MaxParameters:N0} ({Section}.max-parameters)");
        else if (kind.StepBytes(spec) / 1e9 is var gb && gb > MaxMemoryGb)
            problems.Add($"{kind.Section}.batch-size: a batch of {spec.BatchSize:N0} with this model needs about " +
                         $"{gb:0.#} GB; this network takes at most {MaxMemoryGb:0.#} GB ({Section}.max-memory-gb); " +
                         "lower the batch size or the model");
        return problems;
    }
}

using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Models.TorchScript;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Models;

/// <summary>Builds the model a job spec names, shaped for its data, with weights drawn from the job's seed.</summary>
public static class ModelFactory
{
    /// <summary>
    /// Held while a model is seeded and built: libtorch's default generator is one for the whole process, and a model
    /// built on another thread meanwhile (a verifier loading a session while the coordinator computes a job's first
    /// state) would draw from it between the seed and the weights.
    /// </summary>
    private static readonly Lock Seeding = new();

    public static nn.Module<Tensor, Tensor> Create(ModelSpec spec, DataShape data, long seed)
    {
        lock (Seeding) return Seeded(spec, data, seed);
    }

    private static nn.Module<Tensor, Tensor> Seeded(ModelSpec spec, DataShape data, long seed)
    {
        // Initial weights are part of the determinism contract: the seed alone decides them.
        torch.manual_seed(seed);
        return spec.Kind switch
        {
            ModelKind.Mlp => new MlpModel(data.FeatureShape.Aggregate(1L, (a, b) => a * b), spec.Hidden, data.Classes),
            ModelKind.Cnn when data.FeatureShape.Length == 3 && data.FeatureShape[1] >= 1 << spec.Channels.Count && data.FeatureShape[2] >= 1 << spec.Channels.Count
                => new CnnModel(data.FeatureShape, spec.Channels, data.Classes),
            ModelKind.Cnn => throw new DatasetException(
                $"model.kind cnn needs images of shape channels x height x width, at least {1 << spec.Channels.Count} pixels a side for {spec.Channels.Count} blocks; the data has shape {string.Join('x', data.FeatureShape)}"),
            ModelKind.CharLm => new CharTransformer(spec.DModel, spec.Layers, spec.Heads, spec.Context),
            // The requester's module brings its own initial weights; the seed decides only the order of the data.
            ModelKind.TorchScript => TorchScriptModules.Create(spec, data),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown model kind"),
        };
    }
}

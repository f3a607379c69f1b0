using Gensyn.Contracts.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Training;

/// <summary>
/// What a model is trained to minimise (<see cref="ModelSpec.Loss"/>), over outputs as [predictions, columns] and integer
/// targets as [predictions]: cross-entropy over logits, or the mean squared error against the one-hot target (against the
/// target's value when the model has a single output column).
/// </summary>
public static class TrainingLoss
{
    /// <summary>The loss of a batch, averaged (<paramref name="sum"/> false) or summed over its predictions.</summary>
    public static Tensor Of(ModelLoss loss, Tensor outputs, Tensor target, bool sum = false)
    {
        var reduction = sum ? nn.Reduction.Sum : nn.Reduction.Mean;
        if (loss == ModelLoss.CrossEntropy) return nn.functional.cross_entropy(outputs, target, reduction: reduction);
        var columns = outputs.shape[^1];
        var expected = columns == 1
            ? target.to(outputs.dtype).reshape(-1, 1)
            : nn.functional.one_hot(target, columns).to(outputs.dtype);
        var squared = nn.functional.mse_loss(outputs, expected, reduction);
        // Summed, one value per prediction (its columns' mean), as cross-entropy sums one value per prediction.
        return sum ? squared / columns : squared;
    }

    /// <summary>The predicted class of each row: the largest output, or a single output rounded.</summary>
    public static Tensor Predicted(Tensor outputs) =>
        outputs.shape[^1] == 1 ? outputs.reshape(-1).round().to(ScalarType.Int64) : outputs.argmax(1);
}

using Gensyn.Contracts.Jobs;
using Gensyn.Training.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Tests.Training;

/// <summary>
/// An inner optimizer step must not depend on when the garbage collector runs. TorchSharp turns a double into a
/// native Scalar whose managed wrapper frees it when finalized; a wrapper nobody holds can be finalized while
/// libtorch still reads it (a collection started by another thread), and the step then fails ("Expected false to be
/// true ... toFloat") or reads another value. A worker opening challenged steps while its other threads allocate
/// hit exactly that, so its honest result went unanswered.
/// </summary>
public sealed class InnerOptimizerGcTests
{
    private const int Steps = 20_000;

    private static InnerOptimizerSpec Spec(InnerOptimizerKind kind) =>
        new(kind, LearningRate: 0.001, Momentum: 0.9, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8);

    /// <summary>Runs <see cref="Steps"/> steps of a tiny quadratic and returns the parameter's final values.</summary>
    private static float[] Train(InnerOptimizerKind kind)
    {
        using var parameter = torch.linspace(-1, 1, 16).requires_grad_();
        using var optimizer = InnerOptimizer.Create(Spec(kind), [("param/w", parameter)]);
        for (var step = 1; step <= Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            parameter.grad?.zero_();
            parameter.mul(parameter).sum().backward();
            optimizer.Step(step);
        }
        return parameter.data<float>().ToArray();
    }

    [Theory]
    [InlineData(InnerOptimizerKind.AdamW)]
    [InlineData(InnerOptimizerKind.Sgd)]
    public void Steps_give_the_same_bits_while_another_thread_collects_garbage(InnerOptimizerKind kind)
    {
        var calm = Train(kind);
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            Assert.Equal(calm, Train(kind));
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}

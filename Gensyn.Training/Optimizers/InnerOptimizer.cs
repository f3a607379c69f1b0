using Gensyn.Contracts.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Optimizers;

/// <summary>
/// The per-shard optimizer, written out op by op (rather than torch.optim) so that its buffers are
/// plain named tensors: they belong to the hashed, checkpointed and replayed training state.
/// Follows PyTorch's SGD (momentum, no dampening) and AdamW formulas.
/// </summary>
public abstract class InnerOptimizer : IDisposable
{
    protected InnerOptimizer(IReadOnlyList<(string Name, Tensor Parameter)> parameters) => Parameters = parameters;

    protected IReadOnlyList<(string Name, Tensor Parameter)> Parameters { get; }

    /// <summary>Buffers named "opt/&lt;parameter&gt;/&lt;buffer&gt;", zero-initialised.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Buffer)> Buffers { get; }

    /// <summary>Applies one update from the parameters' gradients; <paramref name="step"/> counts from 1.</summary>
    public abstract void Step(long step);

    public static InnerOptimizer Create(InnerOptimizerSpec spec, IReadOnlyList<(string Name, Tensor Parameter)> parameters) =>
        spec.Kind switch
        {
            InnerOptimizerKind.Sgd => new SgdMomentum(spec, parameters),
            InnerOptimizerKind.AdamW => new AdamW(spec, parameters),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown optimizer"),
        };

    protected static List<(string, Tensor)> ZeroBuffers(IReadOnlyList<(string Name, Tensor Parameter)> parameters, string suffix) =>
        parameters.Select(p => ($"opt/{p.Name}/{suffix}", torch.zeros_like(p.Parameter))).ToList();

    public void Dispose()
    {
        foreach (var (_, buffer) in Buffers) buffer.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>SGD with momentum: buf = μ·buf + (g + λ·p); p -= lr·buf.</summary>
public sealed class SgdMomentum : InnerOptimizer
{
    private readonly double _lr, _momentum, _weightDecay;
    private readonly List<(string, Tensor)> _momentumBuffers;

    public SgdMomentum(InnerOptimizerSpec spec, IReadOnlyList<(string Name, Tensor Parameter)> parameters) : base(parameters)
    {
        (_lr, _momentum, _weightDecay) = (spec.LearningRate, spec.Momentum, spec.WeightDecay);
        _momentumBuffers = ZeroBuffers(parameters, "momentum");
    }

    public override IReadOnlyList<(string Name, Tensor Buffer)> Buffers => _momentumBuffers;

    public override void Step(long step)
    {
        using var _ = torch.no_grad();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            var g = p.grad ?? throw new InvalidOperationException($"parameter {Parameters[i].Name} has no gradient");
            if (_weightDecay != 0) g = g.add(p, alpha: _weightDecay);
            var buf = _momentumBuffers[i].Item2;
            buf.mul_(_momentum).add_(g);
            p.add_(buf, alpha: -_lr);
        }
    }
}

/// <summary>AdamW with decoupled weight decay and bias correction, as torch.optim.AdamW (amsgrad off).</summary>
public sealed class AdamW : InnerOptimizer
{
    private readonly double _lr, _beta1, _beta2, _eps, _weightDecay;
    private readonly List<(string, Tensor)> _buffers;

    public AdamW(InnerOptimizerSpec spec, IReadOnlyList<(string Name, Tensor Parameter)> parameters) : base(parameters)
    {
        (_lr, _beta1, _beta2, _eps, _weightDecay) = (spec.LearningRate, spec.Beta1, spec.Beta2, spec.Epsilon, spec.WeightDecay);
        var first = ZeroBuffers(parameters, "exp_avg");
        var second = ZeroBuffers(parameters, "exp_avg_sq");
        _buffers = first.Zip(second, (a, b) => new[] { a, b }).SelectMany(x => x).ToList();
    }

    public override IReadOnlyList<(string Name, Tensor Buffer)> Buffers => _buffers;

    public override void Step(long step)
    {
        using var _ = torch.no_grad();
        var biasCorrection1 = 1 - Math.Pow(_beta1, step);
        var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, step));
        var stepSize = _lr / biasCorrection1;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            var g = p.grad ?? throw new InvalidOperationException($"parameter {Parameters[i].Name} has no gradient");
            var expAvg = _buffers[2 * i].Item2;
            var expAvgSq = _buffers[2 * i + 1].Item2;
            if (_weightDecay != 0) p.mul_(1 - _lr * _weightDecay);
            expAvg.lerp_(g, 1 - _beta1);
            expAvgSq.mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            using var denominator = expAvgSq.sqrt().div_(biasCorrection2Sqrt).add_(_eps);
            p.addcdiv_(expAvg, denominator, value: -stepSize);
        }
    }
}

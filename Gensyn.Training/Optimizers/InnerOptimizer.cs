using Gensyn.Contracts.Jobs;
using Gensyn.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Optimizers;

/// <summary>
/// The per-shard optimizer, written out op by op (rather than torch.optim) so that its buffers are
/// plain named tensors: they belong to the hashed, checkpointed and replayed training state.
/// Follows PyTorch's SGD (momentum, no dampening) and AdamW formulas. Every number passed to libtorch is a held
/// scalar (<see cref="HeldScalars"/>), so a step gives the same bits whenever the garbage collector runs.
/// </summary>
public abstract class InnerOptimizer : IDisposable
{
    private readonly List<Scalar> _held = [];

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

    /// <summary>A native scalar of <paramref name="value"/> that lives as long as this optimizer.</summary>
    protected Scalar Hold(double value)
    {
        var scalar = value.ToScalar();
        _held.Add(scalar);
        return scalar;
    }

    protected static List<(string, Tensor)> ZeroBuffers(IReadOnlyList<(string Name, Tensor Parameter)> parameters, string suffix) =>
        parameters.Select(p => ($"opt/{p.Name}/{suffix}", torch.zeros_like(p.Parameter))).ToList();

    public void Dispose()
    {
        foreach (var (_, buffer) in Buffers) buffer.Dispose();
        foreach (var scalar in _held) scalar.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>SGD with momentum: buf = μ·buf + (g + λ·p); p -= lr·buf.</summary>
public sealed class SgdMomentum : InnerOptimizer
{
    private readonly bool _decays;
    private readonly Scalar _minusLr, _momentum, _weightDecay;
    private readonly List<(string, Tensor)> _momentumBuffers;

    public SgdMomentum(InnerOptimizerSpec spec, IReadOnlyList<(string Name, Tensor Parameter)> parameters) : base(parameters)
    {
        _decays = spec.WeightDecay != 0;
        (_minusLr, _momentum, _weightDecay) = (Hold(-spec.LearningRate), Hold(spec.Momentum), Hold(spec.WeightDecay));
        _momentumBuffers = ZeroBuffers(parameters, "momentum");
    }

    public override IReadOnlyList<(string Name, Tensor Buffer)> Buffers => _momentumBuffers;

    public override void Step(long step)
    {
        using var _ = torch.no_grad();
        using var temporaries = torch.NewDisposeScope();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            var g = p.grad ?? throw new InvalidOperationException($"parameter {Parameters[i].Name} has no gradient");
            if (_decays) g = g.add(p, alpha: _weightDecay);
            var buf = _momentumBuffers[i].Item2;
            buf.mul_(_momentum).add_(g, HeldScalars.One);
            p.add_(buf, alpha: _minusLr);
        }
    }
}

/// <summary>AdamW with decoupled weight decay and bias correction, as torch.optim.AdamW (amsgrad off).</summary>
public sealed class AdamW : InnerOptimizer
{
    private readonly double _lr, _beta1, _beta2;
    private readonly bool _decays;
    private readonly Scalar _decay, _beta2Scalar, _oneMinusBeta2, _eps;
    private readonly List<(string, Tensor)> _buffers;

    public AdamW(InnerOptimizerSpec spec, IReadOnlyList<(string Name, Tensor Parameter)> parameters) : base(parameters)
    {
        (_lr, _beta1, _beta2) = (spec.LearningRate, spec.Beta1, spec.Beta2);
        _decays = spec.WeightDecay != 0;
        _decay = Hold(1 - _lr * spec.WeightDecay);
        (_beta2Scalar, _oneMinusBeta2, _eps) = (Hold(_beta2), Hold(1 - _beta2), Hold(spec.Epsilon));
        var first = ZeroBuffers(parameters, "exp_avg");
        var second = ZeroBuffers(parameters, "exp_avg_sq");
        _buffers = first.Zip(second, (a, b) => new[] { a, b }).SelectMany(x => x).ToList();
    }

    public override IReadOnlyList<(string Name, Tensor Buffer)> Buffers => _buffers;

    public override void Step(long step)
    {
        using var _ = torch.no_grad();
        using var temporaries = torch.NewDisposeScope();   // holds the lerp weight, a tensor made from a double
        var biasCorrection1 = 1 - Math.Pow(_beta1, step);
        using var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, step)).ToScalar();
        using var minusStepSize = (-(_lr / biasCorrection1)).ToScalar();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            var g = p.grad ?? throw new InvalidOperationException($"parameter {Parameters[i].Name} has no gradient");
            var expAvg = _buffers[2 * i].Item2;
            var expAvgSq = _buffers[2 * i + 1].Item2;
            if (_decays) p.mul_(_decay);
            expAvg.lerp_(g, 1 - _beta1);
            expAvgSq.mul_(_beta2Scalar).addcmul_(g, g, value: _oneMinusBeta2);
            using var denominator = expAvgSq.sqrt().div_(biasCorrection2Sqrt).add_(_eps, HeldScalars.One);
            p.addcdiv_(expAvg, denominator, value: minusStepSize);
        }
    }
}

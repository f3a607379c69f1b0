using Gensyn.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gensyn.Training.Models;

/// <summary>
/// A pre-norm transformer block: causal multi-head self-attention, then a 4x MLP, each residual. Numbers reach
/// libtorch as held scalars (<see cref="HeldScalars"/>).
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private static readonly Scalar Masked = float.NegativeInfinity.ToScalar();

    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear projection;
    private readonly LayerNorm norm2;
    private readonly Linear expand;
    private readonly Linear contract;
    private readonly int _heads;

    public TransformerBlock(int dModel, int heads) : base(nameof(TransformerBlock))
    {
        _heads = heads;
        norm1 = nn.LayerNorm(dModel);
        qkv = nn.Linear(dModel, 3 * dModel);
        projection = nn.Linear(dModel, dModel);
        norm2 = nn.LayerNorm(dModel);
        expand = nn.Linear(dModel, 4 * dModel);
        contract = nn.Linear(4 * dModel, dModel);
        RegisterComponents();
    }

    /// <param name="input">[batch, time, dModel]</param>
    public override Tensor forward(Tensor input)
    {
        long b = input.shape[0], t = input.shape[1], d = input.shape[2];
        var headDim = d / _heads;
        var parts = qkv.forward(norm1.forward(input)).view(b, t, 3, _heads, headDim).permute(2, 0, 3, 1, 4);
        Tensor q = parts[0], k = parts[1], v = parts[2];
        using var scale = (1.0 / Math.Sqrt(headDim)).ToScalar();
        var scores = q.matmul(k.transpose(-2, -1)).mul_(scale);
        using var future = torch.ones(t, t, dtype: ScalarType.Bool).triu(1);
        var attention = scores.masked_fill(future, Masked).softmax(-1);
        var mixed = attention.matmul(v).transpose(1, 2).reshape(b, t, d);
        var x = input.add(projection.forward(mixed), HeldScalars.One);
        return x.add(contract.forward(nn.functional.gelu(expand.forward(norm2.forward(x)))), HeldScalars.One);
    }
}

using Gensyn.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gensyn.Training.Models;

/// <summary>A small causal transformer language model over bytes (vocabulary 256).</summary>
public sealed class CharTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly ModuleList<TransformerBlock> blocks = new();
    private readonly LayerNorm norm;
    private readonly Linear head;

    public CharTransformer(int dModel, int layers, int heads, int context) : base(nameof(CharTransformer))
    {
        tokens = nn.Embedding(256, dModel);
        positions = nn.Embedding(context, dModel);
        for (var i = 0; i < layers; i++) blocks.Add(new TransformerBlock(dModel, heads));
        norm = nn.LayerNorm(dModel);
        head = nn.Linear(dModel, 256);
        RegisterComponents();
    }

    /// <param name="input">[batch, time] byte values as int64.</param>
    /// <returns>[batch, time, 256] next-byte logits.</returns>
    public override Tensor forward(Tensor input)
    {
        // Held scalars (HeldScalars): a temporary one could be freed while libtorch reads it.
        using var length = input.shape[1].ToScalar();
        using var steps = torch.arange(HeldScalars.Zero, length, HeldScalars.One, dtype: ScalarType.Int64);
        var x = tokens.forward(input).add(positions.forward(steps), HeldScalars.One);
        foreach (var block in blocks) x = block.forward(x);
        return head.forward(norm.forward(x));
    }
}

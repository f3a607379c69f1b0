using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gensyn.Training.Models;

/// <summary>A multi-layer perceptron: flatten, then Linear + ReLU per hidden width, then a Linear classifier.</summary>
public sealed class MlpModel : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers = new();

    public MlpModel(long inputs, IReadOnlyList<int> hidden, int classes) : base(nameof(MlpModel))
    {
        var width = inputs;
        foreach (var h in hidden)
        {
            layers.Add(nn.Linear(width, h));
            width = h;
        }
        layers.Add(nn.Linear(width, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.flatten(1);
        for (var i = 0; i < layers.Count - 1; i++) x = nn.functional.relu(layers[i].forward(x));
        return layers[^1].forward(x);
    }
}

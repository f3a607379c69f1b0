using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gensyn.Training.Models;

/// <summary>A small convolutional classifier: per block Conv3x3 + ReLU + MaxPool2, then Linear(128) + ReLU + Linear.</summary>
public sealed class CnnModel : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Conv2d> convs = new();
    private readonly Linear hidden;
    private readonly Linear classifier;

    public CnnModel(long[] imageShape, IReadOnlyList<int> channels, int classes) : base(nameof(CnnModel))
    {
        long c = imageShape[0], h = imageShape[1], w = imageShape[2];
        foreach (var next in channels)
        {
            convs.Add(nn.Conv2d(c, next, 3, padding: 1));
            c = next;
            h /= 2;
            w /= 2;
        }
        hidden = nn.Linear(c * h * w, 128);
        classifier = nn.Linear(128, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var conv in convs) x = nn.functional.max_pool2d(nn.functional.relu(conv.forward(x)), 2);
        return classifier.forward(nn.functional.relu(hidden.forward(x.flatten(1))));
    }
}

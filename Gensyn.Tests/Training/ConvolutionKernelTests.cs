using System.Runtime.CompilerServices;
using Gensyn.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Tests.Training;

/// <summary>Tests that call libtorch directly get the same kernels as the product's sessions.</summary>
internal static class TestAssemblyNativeKernels
{
    [ModuleInitializer]
    internal static void OnLoad() => NativeKernels.Configure();
}

// Sets libtorch's thread count, so it runs alone with the other bit-exact tests.
[Collection(Gensyn.Tests.Verification.TorchThreadCountCollection.Name)]
public class ConvolutionKernelTests
{
    private const int Batch = 16, In = 4, Out = 8, Size = 6;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Convolution_gradients_equal_the_direct_sums_and_repeat_bit_for_bit(int threads)
    {
        var previous = torch.get_num_threads();
        try
        {
            torch.set_num_threads(threads);
            torch.manual_seed(11);
            var x = torch.rand(Batch, In, Size, Size);
            var r = torch.randn(Batch, Out, Size, Size);
            using var conv = nn.Conv2d(In, Out, 3, padding: 1);
            var first = Gradients(conv, x, r);
            var (gx, gw) = Reference(conv.weight!.detach().data<float>().ToArray(), x.data<float>().ToArray(),
                                     r.data<float>().ToArray());
            Assert.InRange(MaxError(first.Input, gx), 0, 1e-4);
            Assert.InRange(MaxError(first.Weight, gw), 0, 1e-4);
            for (var i = 0; i < 10; i++)
            {
                var again = Gradients(conv, x, r);
                Assert.Equal(first.Input, again.Input);
                Assert.Equal(first.Weight, again.Weight);
            }
        }
        finally { torch.set_num_threads(previous); }
    }

    private static (float[] Input, float[] Weight) Gradients(nn.Module<Tensor, Tensor> conv, Tensor x, Tensor r)
    {
        conv.zero_grad();
        using var input = x.detach().requires_grad_(true);
        using var loss = (conv.forward(input) * r).sum();
        loss.backward();
        var weight = conv.named_parameters().Single(p => p.name == "weight").parameter;
        return (input.grad!.data<float>().ToArray(), weight.grad!.data<float>().ToArray());
    }

    // loss = Σ r·conv(x), padding 1: output (oh, ow) reads input (oh + kh − 1, ow + kw − 1).
    private static (double[] Input, double[] Weight) Reference(float[] w, float[] x, float[] r)
    {
        var gx = new double[x.Length];
        var gw = new double[w.Length];
        for (var n = 0; n < Batch; n++)
        for (var oc = 0; oc < Out; oc++)
        for (var ic = 0; ic < In; ic++)
        for (var kh = 0; kh < 3; kh++)
        for (var kw = 0; kw < 3; kw++)
        for (var oh = 0; oh < Size; oh++)
        for (var ow = 0; ow < Size; ow++)
        {
            int ih = oh + kh - 1, iw = ow + kw - 1;
            if (ih < 0 || ih >= Size || iw < 0 || iw >= Size) continue;
            var ri = ((n * Out + oc) * Size + oh) * Size + ow;
            var xi = ((n * In + ic) * Size + ih) * Size + iw;
            var wi = ((oc * In + ic) * 3 + kh) * 3 + kw;
            gx[xi] += w[wi] * r[ri];
            gw[wi] += x[xi] * r[ri];
        }
        return (gx, gw);
    }

    private static double MaxError(float[] actual, double[] expected) =>
        actual.Select((a, i) => Math.Abs(a - expected[i])).Max();
}

using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Training;

/// <summary>
/// A fixed training step that every worker runs at start to measure what it offers: an MLP of 784-256-10 on a
/// batch of 64 random images, forward, cross-entropy, backward and an SGD update, on <c>threads</c> libtorch
/// threads. The result (steps per second, the best of five windows) lets the scheduler compare prices per unit of
/// throughput, and turns a job's steps into compute-hours.
/// </summary>
public static class ReferenceStep
{
    public static double MeasureStepsPerSecond(int threads, TimeSpan duration)
    {
        TorchThreads.Pin(threads);
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(1234);
        // Held scalars (HeldScalars): a temporary one could be freed while libtorch reads it.
        using var initialScale = 0.05f.ToScalar();
        using var rate = 0.01f.ToScalar();
        var w1 = torch.randn([784, 256], generator: generator).mul(initialScale).requires_grad_();
        var w2 = torch.randn([256, 10], generator: generator).mul(initialScale).requires_grad_();
        var x = torch.rand([64, 784], generator: generator);
        var y = torch.randint(0, 10, [64], generator: generator);
        void Step()
        {
            using var step = torch.NewDisposeScope();
            var loss = nn.functional.cross_entropy(nn.functional.relu(x.matmul(w1)).matmul(w2), y);
            loss.backward();
            using (torch.no_grad())
            {
                w1.sub_(w1.grad!.mul(rate));
                w2.sub_(w2.grad!.mul(rate));
                w1.grad!.zero_();
                w2.grad!.zero_();
            }
        }
        for (var i = 0; i < 5; i++) Step();  // warm up allocators and kernels
        // The best of five windows: what the machine sustains when nothing else runs on its cores, not what it did while
        // its own process (or a neighbour) was starting up — a worker measures this at start, when both are likely.
        var best = 0.0;
        for (var window = 0; window < Windows; window++)
        {
            var clock = Stopwatch.StartNew();
            var steps = 0;
            while (clock.Elapsed < duration / Windows || steps < 10)
            {
                Step();
                steps++;
            }
            best = Math.Max(best, steps / clock.Elapsed.TotalSeconds);
        }
        return Math.Round(best, 1);
    }

    private const int Windows = 5;
}

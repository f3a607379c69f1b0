using Gensyn.Contracts.Jobs;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>Accuracy and wall time of the shipped examples, trained as <c>gensyn train</c> does.</summary>
public static class ExamplesBenchmark
{
    private static readonly (string File, double Target)[] Examples =
        [("mnist-mlp.yaml", 0.97), ("mnist-cnn.yaml", 0.985), ("charlm.yaml", 0)];

    public static void Run(string dataDir, string root)
    {
        Console.WriteLine("examples (gensyn train, 1 process):");
        foreach (var (file, target) in Examples)
        {
            var spec = JobSpecParser.ParseFile(Path.Combine(root, "examples", file));
            var outcome = LocalJobRunner.Run(spec, dataDir);
            var t = spec.RequireTraining();
            var metric = outcome.Test.Perplexity is { } p
                ? $"next-byte accuracy {outcome.Test.Accuracy:P2}, perplexity {p:F2}"
                : $"test accuracy {outcome.Test.Accuracy:P2} (target >= {target:P1}: {(outcome.Test.Accuracy >= target ? "met" : "NOT MET")})";
            Console.WriteLine($"  {spec.Name,-10} {t.Rounds}x{t.Shards}x{t.InnerSteps} steps  {outcome.WallSeconds,6:F1} s  {metric}");
        }
    }
}

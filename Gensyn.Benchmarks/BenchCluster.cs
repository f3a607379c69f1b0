using System.Text.Json;
using Gensyn.Node.Local;

namespace Gensyn.Benchmarks;

/// <summary>
/// The product's <see cref="LocalCluster"/> as the cluster benchmarks run it: the Release build, nodes in a temporary
/// directory (kept with GENSYN_BENCH_KEEP=1), the shared datasets, and failures that carry every node's log.
/// </summary>
public static class BenchCluster
{
    /// <summary>The executable the benchmarks run: $GENSYN_EXE, else Gensyn.Node's Release build.</summary>
    public static string FindExecutable(string root)
    {
        var path = Environment.GetEnvironmentVariable("GENSYN_EXE")
                   ?? Path.Combine(root, "Gensyn.Node", "bin", "Release", "net10.0", "linux-x64", "gensyn.dll");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path} is missing: build it first with `dotnet build Gensyn.Node -c Release` (or set GENSYN_EXE)");
        return path;
    }

    /// <summary>
    /// No node yet: <c>dotnet <paramref name="executable"/></c>, sharing <paramref name="sharedDataDir"/>'s datasets.
    /// </summary>
    public static LocalCluster Create(string executable, string sharedDataDir)
    {
        var keep = Environment.GetEnvironmentVariable("GENSYN_BENCH_KEEP") is not null;
        var root = Directory.CreateTempSubdirectory("gensyn-bench-").FullName;
        if (keep) Console.WriteLine($"  (keeping {root})");
        return new LocalCluster(new LocalClusterOptions(root, sharedDataDir)
        {
            GensynDll = executable, StartTimeout = TimeSpan.FromSeconds(90), LogsInErrors = true, DeleteRoot = !keep,
        });
    }

    /// <summary>A command's stdout as JSON (its <c>--json</c> output).</summary>
    public static JsonElement Json(this LocalProcesses.Result result) => JsonDocument.Parse(result.Stdout).RootElement;
}

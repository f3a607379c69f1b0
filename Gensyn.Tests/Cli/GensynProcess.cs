using Gensyn.Node.Local;

namespace Gensyn.Tests.Cli;

/// <summary>Runs the built gensyn executable (this test build's gensyn.dll) as a separate OS process.</summary>
public static class GensynProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>The gensyn.dll built beside the tests.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "gensyn.dll");

    /// <summary>
    /// What every process the tests start gets: messages serialized even between local actors, as across the network.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } =
        new Dictionary<string, string> { ["GENSYN_SERIALIZE_MESSAGES"] = "1" };

    private static readonly LocalProcesses Processes = new(Dll);

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gensyn.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("tests must run inside the repository");
        }
    }

    /// <summary>The repository's data directory, where the test script installs MNIST.</summary>
    public static string DataDirectory =>
        System.Environment.GetEnvironmentVariable("GENSYN_DATA_DIR") ?? Path.Combine(RepositoryRoot, ".gensyn");

    public static Result Run(string dataDir, params string[] args) =>
        RunWith(new Dictionary<string, string>(), dataDir, args);

    /// <summary>Like <see cref="Run"/>, with these environment variables set for the process.</summary>
    public static Result RunWith(
        IReadOnlyDictionary<string, string> environment, string dataDir, params string[] args)
    {
        var variables = new Dictionary<string, string>(Environment);
        foreach (var (name, value) in environment) variables[name] = value;
        var result = Processes.Run([.. args, "--data-dir", dataDir], variables);
        return new Result(result.ExitCode, result.Stdout, result.Stderr);
    }
}

using System.Diagnostics;

namespace Gensyn.Tests.Cli;

/// <summary>Runs the built gensyn executable as a separate OS process.</summary>
public static class GensynProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

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
    public static string DataDirectory => Environment.GetEnvironmentVariable("GENSYN_DATA_DIR") ?? Path.Combine(RepositoryRoot, ".gensyn");

    public static Result Run(string dataDir, params string[] args) => RunWith(new Dictionary<string, string>(), dataDir, args);

    /// <summary>Like <see cref="Run"/>, with these environment variables set for the process.</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string> environment, string dataDir, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gensyn.dll"));
        start.Environment["GENSYN_SERIALIZE_MESSAGES"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        foreach (var a in args) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(dataDir);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gensyn {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}

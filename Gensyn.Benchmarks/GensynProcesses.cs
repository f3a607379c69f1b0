using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Gensyn.Benchmarks;

/// <summary>
/// Real `gensyn` processes on loopback for the cluster benchmarks (as Gensyn.Tests' LocalCluster does):
/// a coordinator and workers, each with its own data directory (a <c>datasets</c> link to the shared
/// datasets) and log file, all killed on dispose. Runs the built Release executable with <c>dotnet gensyn.dll</c>.
/// </summary>
public sealed class GensynProcesses : IDisposable
{
    private readonly List<(string Name, Process Process)> _processes = [];
    private readonly string _sharedDatasets;

    public GensynProcesses(string executable, string sharedDataDir)
    {
        Executable = executable;
        _sharedDatasets = Path.Combine(sharedDataDir, "datasets");
        Root = Path.Combine(Path.GetTempPath(), "gensyn-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
    }

    public string Executable { get; }

    public string Root { get; }

    /// <summary>HOST:PORT of the coordinator, once started.</summary>
    public string Coordinator { get; private set; } = "";

    /// <summary>The executable the benchmarks run: $GENSYN_EXE, else Gensyn.Node's Release build.</summary>
    public static string FindExecutable(string root)
    {
        var path = Environment.GetEnvironmentVariable("GENSYN_EXE")
                   ?? Path.Combine(root, "Gensyn.Node", "bin", "Release", "net10.0", "linux-x64", "gensyn.dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: build it first with `dotnet build Gensyn.Node -c Release` (or set GENSYN_EXE)");
        return path;
    }

    public static int FreePort() => Gensyn.Node.Cli.LocalProcesses.FreePort();

    public string DataDir(string name)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, "datasets");
        if (!Path.Exists(link)) Directory.CreateSymbolicLink(link, _sharedDatasets);
        return dir;
    }

    public string LogOf(string name)
    {
        var path = LogPath(name);
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public string LogPath(string name) => Path.Combine(Root, name + ".log");

    /// <summary>Starts a coordinator and waits until it says it is up.</summary>
    public Process StartCoordinator(string name = "coordinator")
    {
        var port = FreePort();
        var process = Spawn(name, ["node", "--port", $"{port}", "--cluster-port", $"{FreePort()}", "--data-dir", DataDir(name), "--log-level", "information"]);
        Coordinator = $"127.0.0.1:{port}";
        WaitFor(() => LogOf(name).Contains("coordinator up at"), TimeSpan.FromSeconds(90), $"coordinator {name} to start", process);
        return process;
    }

    public Process StartWorker(string name) =>
        Spawn(name, ["worker", "--coordinator", Coordinator, "--id", name, "--data-dir", DataDir(name), "--log-level", "information"]);

    public void WaitForWorkers(int count) =>
        WaitFor(() => Run("cli", ["workers", "--json", "-c", Coordinator]) is { ExitCode: 0 } r && r.Stdout.Split("\"workerId\"").Length - 1 >= count,
            TimeSpan.FromSeconds(90), $"{count} worker(s) to register", null);

    public sealed record Result(int ExitCode, string Stdout, string Stderr, double WallSeconds)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
    }

    /// <summary>Runs one `gensyn` command to completion; <see cref="Result.WallSeconds"/> spans process start to exit.</summary>
    public Result Run(string dataDirName, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var start = StartInfo(args);
        start.Environment["GENSYN_DATA_DIR"] = DataDir(dataDirName);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gensyn {string.Join(' ', args)} did not finish in time");
        }
        process.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        return new Result(process.ExitCode, stdout.Result, stderr.Result, wall);
    }

    /// <summary>The last lines of every long-running process's log, for failure messages.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p =>
    {
        var text = LogOf(p.Name);
        return $"===== {p.Name} =====\n{(text.Length > 4000 ? text[^4000..] : text)}";
    }));

    private ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Executable);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private Process Spawn(string name, IEnumerable<string> args)
    {
        var start = StartInfo(args);
        start.Environment["GENSYN_DATA_DIR"] = DataDir(name);
        var log = new StreamWriter(new FileStream(LogPath(name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add((name, process));
        return process;
    }

    private void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Process? process)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process is { HasExited: true }) throw new InvalidOperationException($"gave up waiting for {what}: the process exited with {process.ExitCode}\n{Logs()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"gave up waiting for {what} after {timeout.TotalSeconds} s\n{Logs()}");
            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        foreach (var (_, process) in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        if (Environment.GetEnvironmentVariable("GENSYN_BENCH_KEEP") is null)
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        else Console.WriteLine($"  (kept {Root})");
    }
}

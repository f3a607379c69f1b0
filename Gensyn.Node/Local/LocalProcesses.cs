using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gensyn.Node.Local;

/// <summary>
/// Child `gensyn` processes started by this one: long-running nodes (logged to files and stopped with this process)
/// and commands run to completion. <paramref name="gensynDll"/>: run <c>dotnet gensyn.dll</c> from that build;
/// null runs the build this process belongs to.
/// </summary>
public sealed class LocalProcesses(string? gensynDll = null) : IDisposable
{
    private readonly List<Process> _children = [];
    private bool _stopWithThisProcess;

    /// <summary>One command run to completion; <see cref="WallSeconds"/> spans process start to exit.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, double WallSeconds);

    /// <summary>
    /// Starts `gensyn <paramref name="arguments"/>`, stdout and stderr appended to <paramref name="logFile"/>;
    /// through <paramref name="launcher"/> when given, a command that runs another in its place
    /// (e.g. <c>ip netns exec NAME</c>).
    /// </summary>
    public Process Start(
        IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        StopWithThisProcess();
        var info = StartInfo(arguments, environment, launcher);
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var file = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var log = new StreamWriter(file) { AutoFlush = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_children) _children.Add(process);
        return process;
    }

    /// <summary>Runs `gensyn <paramref name="arguments"/>` to completion and captures what it printed.</summary>
    public Result Run(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null)
    {
        var args = arguments.ToList();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(StartInfo(args, environment, null))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"gensyn {string.Join(' ', args)} did not finish in {limit.TotalSeconds:0} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed.TotalSeconds);
    }

    private ProcessStartInfo StartInfo(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment,
        IReadOnlyList<string>? launcher)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var self = Environment.ProcessPath!;
        var host = gensynDll is null && Path.GetFileNameWithoutExtension(self) == "gensyn" ? self : "dotnet";
        if (launcher is { Count: > 0 })
        {
            info.FileName = launcher[0];
            foreach (var part in launcher.Skip(1)) info.ArgumentList.Add(part);
            info.ArgumentList.Add(host);
        }
        else
        {
            info.FileName = host;
        }
        if (host == "dotnet") info.ArgumentList.Add(gensynDll ?? typeof(LocalProcesses).Assembly.Location);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return info;
    }

    /// <summary>Children must not outlive this process, even when it is interrupted.</summary>
    private void StopWithThisProcess()
    {
        if (_stopWithThisProcess) return;
        _stopWithThisProcess = true;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        Console.CancelKeyPress += (_, _) => Dispose();
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Whether nothing listens on loopback <paramref name="port"/> now.</summary>
    public static bool PortFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_children)
        {
            foreach (var child in _children)
            {
                try
                {
                    if (!child.HasExited) child.Kill(entireProcessTree: true);
                    child.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
            _children.Clear();
        }
    }
}

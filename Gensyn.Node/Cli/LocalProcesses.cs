using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gensyn.Node.Cli;

/// <summary>Child `gensyn` processes (a coordinator, workers) started by this one, logged to files and stopped with it.</summary>
public sealed class LocalProcesses : IDisposable
{
    private readonly List<Process> _children = [];

    public LocalProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        Console.CancelKeyPress += (_, _) => Dispose();
    }

    /// <summary>
    /// Starts this executable (or <c>dotnet <paramref name="gensynDll"/></c> when given) with <paramref name="arguments"/>,
    /// stdout and stderr to <paramref name="logFile"/>; through <paramref name="launcher"/> when given, a command that runs
    /// another in its place (e.g. <c>ip netns exec NAME</c>).
    /// </summary>
    public Process Start(IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string>? environment = null, string? gensynDll = null,
                         IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var host = gensynDll is null ? Environment.ProcessPath! : "dotnet";
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
        if (gensynDll is not null) info.ArgumentList.Add(gensynDll);
        else if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(LocalProcesses).Assembly.Location);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_children) _children.Add(process);
        return process;
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

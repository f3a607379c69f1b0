using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gensyn.Tests.Security;

/// <summary>
/// A provider's home behind a router, made of Linux network namespaces: a namespace "home" joined to the test's own (root)
/// namespace by a veth pair on a private /30 of 10.231.0.0/16, with a home-router rule set inside home (outbound allowed, replies
/// let back in by conntrack, no new inbound connection). Names and subnet are unique per run; <see cref="Dispose"/> removes the
/// namespace and the veth pair. Needs root, iproute2 and iptables; fails (never skips) when they are missing.
/// </summary>
public sealed class HomeNetwork : IDisposable
{
    private readonly string _outsideLink;
    private readonly List<Process> _processes = [];

    private HomeNetwork(string name, string outsideLink, string outside, string inside)
    {
        Name = name;
        _outsideLink = outsideLink;
        OutsideAddress = outside;
        HomeAddress = inside;
    }

    /// <summary>The namespace's name.</summary>
    public string Name { get; }

    /// <summary>The root namespace's end of the veth: where a coordinator listens for the home.</summary>
    public string OutsideAddress { get; }

    /// <summary>The home's end of the veth.</summary>
    public string HomeAddress { get; }

    /// <summary>The command that runs another inside home.</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    public static HomeNetwork Create()
    {
        var id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..8].ToLowerInvariant();
        var (name, outsideLink, insideLink) = ($"gensyn-home-{id}", $"gh{id}o", $"gh{id}i");
        var used = Run("ip", "-4", "-o", "addr", "show").Stdout;
        string outside, inside;
        do
        {
            var block = Random.Shared.Next(0, 256 * 64);
            var (third, fourth) = (block / 64, block % 64 * 4);
            (outside, inside) = ($"10.231.{third}.{fourth + 1}", $"10.231.{third}.{fourth + 2}");
        } while (used.Contains($" {outside}/") || used.Contains($" {inside}/"));

        Require("ip", "netns", "add", name);
        var network = new HomeNetwork(name, outsideLink, outside, inside);
        try
        {
            Require("ip", "link", "add", outsideLink, "type", "veth", "peer", "name", insideLink);
            Require("ip", "link", "set", insideLink, "netns", name);
            Require("ip", "addr", "add", $"{outside}/30", "dev", outsideLink);
            Require("ip", "link", "set", outsideLink, "up");
            network.RequireInside("ip", "addr", "add", $"{inside}/30", "dev", insideLink);
            network.RequireInside("ip", "link", "set", insideLink, "up");
            network.RequireInside("ip", "link", "set", "lo", "up");
            // The home router: nothing new comes in; what goes out, and its replies, pass.
            network.RequireInside("iptables", "-P", "INPUT", "DROP");
            network.RequireInside("iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT");
            network.RequireInside("iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The rules in force inside home (<c>iptables -S</c>).</summary>
    public string Rules() => RunInside("iptables", "-S").Stdout;

    /// <summary>TCP sockets listening inside home (<c>ss -Htln</c>), one line each.</summary>
    public IReadOnlyList<string> Listeners() =>
        RunInside("ss", "-Htln").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Starts a TCP listener inside home on <paramref name="port"/> (a small python3 server that greets and closes) and waits until it listens.</summary>
    public Process StartListener(int port)
    {
        const string script = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8); print("listening", flush=True)
            while True:
                c, _ = s.accept(); c.sendall(b"hello\n"); c.close()
            """;
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Name, "python3", "-c", script, port.ToString()]) info.ArgumentList.Add(a);
        var process = Start(info);
        _processes.Add(process);
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(15)) || line.Result != "listening")
            throw new InvalidOperationException($"the listener inside {Name} did not start: {(process.HasExited ? process.StandardError.ReadToEnd() : "no answer in 15 s")}");
        return process;
    }

    /// <summary>Whether a TCP connection from the root namespace to <paramref name="address"/>:<paramref name="port"/> opens within <paramref name="limit"/>.</summary>
    public static async Task<bool> ConnectsFromOutside(string address, int port, TimeSpan limit)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await client.ConnectAsync(IPAddress.Parse(address), port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Whether a TCP connection made inside home to <paramref name="address"/>:<paramref name="port"/> opens and reads the greeting.</summary>
    public bool ConnectsFromInside(string address, int port) =>
        RunInside("python3", "-c", "import socket, sys; c = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3); assert c.recv(6) == b'hello\\n'",
            address, port.ToString()).ExitCode == 0;

    public (int ExitCode, string Stdout, string Stderr) RunInside(params string[] command) => Run("ip", ["netns", "exec", Name, .. command]);

    private void RequireInside(params string[] command) => Require("ip", ["netns", "exec", Name, .. command]);

    private static void Require(string file, params string[] args)
    {
        var (exit, _, stderr) = Run(file, args);
        if (exit != 0)
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', args)}` failed ({exit}): {stderr.Trim()}\nThis test builds a home network with Linux network namespaces: it needs root, " +
                "iproute2 (ip) and iptables (scripts/test.sh installs iptables when it runs as root).");
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Start(info);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{file} {string.Join(' ', args)}` did not finish in 30 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"cannot run `{info.FileName}` ({e.Message}): this test builds a home network with Linux network namespaces and needs root, iproute2 (ip), " +
                "iptables and python3 (scripts/test.sh installs iptables when it runs as root)", e);
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
        }
        // Deleting one end of a veth pair deletes both; deleting the namespace drops its rules.
        Run("ip", "link", "del", _outsideLink);
        Run("ip", "netns", "del", Name);
    }
}

using System.Net;
using System.Net.Sockets;
using Gensyn.Contracts.Chain;

namespace Gensyn.Tests.Settlement;

/// <summary>
/// A TCP pass-through on a free loopback port to a chain's RPC port, for taking the RPC away and bringing it back:
/// <see cref="Stop"/> closes the listener and resets every open connection (new connections are refused),
/// <see cref="Start"/> listens again on the same port.
/// </summary>
public sealed class RpcProxy : IDisposable
{
    private readonly int _targetPort;
    private readonly object _gate = new();
    private readonly HashSet<TcpClient> _open = [];
    private TcpListener? _listener;
    private int _accepted;

    public RpcProxy(int targetPort)
    {
        _targetPort = targetPort;
        Port = DevChain.FreeLoopbackPort();
        Start();
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>How many connections the proxy has accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public void Start()
    {
        lock (_gate)
        {
            if (_listener is not null) return;
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            // The port was ours a moment ago: bind as soon as the kernel lets it go, within 2 s.
            if (!SpinWait.SpinUntil(() => TryStart(listener), TimeSpan.FromSeconds(2)))
                throw new InvalidOperationException($"port {Port} was still taken 2 s after the proxy let it go");
            _listener = listener;
            _ = AcceptLoop(listener);
        }
    }

    private static bool TryStart(TcpListener listener)
    {
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Stop()
    {
        TcpListener? listener;
        List<TcpClient> open;
        lock (_gate)
        {
            listener = _listener;
            _listener = null;
            open = [.. _open];
            _open.Clear();
        }
        listener?.Stop();
        foreach (var client in open) Abort(client);
    }

    private async Task AcceptLoop(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = Serve(listener, client);
        }
    }

    private async Task Serve(TcpListener listener, TcpClient client)
    {
        var upstream = new TcpClient();
        lock (_gate)
        {
            if (!ReferenceEquals(_listener, listener))
            {
                Abort(client);
                upstream.Dispose();
                return;
            }
            _open.Add(client);
            _open.Add(upstream);
        }
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort);
            var downstream = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(Pump(downstream, up), Pump(up, downstream));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(client);
                _open.Remove(upstream);
            }
            Abort(client);
            Abort(upstream);
        }
    }

    private static async Task Pump(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <summary>Closes with a reset (no lingering, no TIME_WAIT on the proxy's port), as a dying node would.</summary>
    private static void Abort(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        client.Dispose();
    }

    public void Dispose() => Stop();
}

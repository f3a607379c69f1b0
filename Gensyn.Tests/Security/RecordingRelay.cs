using System.Net;
using System.Net.Sockets;

namespace Gensyn.Tests.Security;

/// <summary>
/// A TCP relay on a loopback port that forwards every connection to <c>127.0.0.1:targetPort</c> and records every byte each way,
/// as anyone on the path between a client and an edge could.
/// </summary>
public sealed class RecordingRelay : IDisposable
{
    /// <summary>One relayed connection: what the client sent and what the server sent back.</summary>
    public sealed class Connection
    {
        private readonly MemoryStream _fromClient = new();
        private readonly MemoryStream _fromServer = new();

        public byte[] FromClient { get { lock (_fromClient) return _fromClient.ToArray(); } }
        public byte[] FromServer { get { lock (_fromServer) return _fromServer.ToArray(); } }

        internal void Record(bool fromClient, ReadOnlySpan<byte> bytes)
        {
            var stream = fromClient ? _fromClient : _fromServer;
            lock (stream) stream.Write(bytes);
        }
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private readonly List<Socket> _sockets = [];

    public RecordingRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<Connection> Connections { get { lock (_connections) return [.. _connections]; } }

    /// <summary>Every byte recorded, both ways, all connections.</summary>
    public byte[] Everything() => [.. Connections.SelectMany(c => c.FromClient.Concat(c.FromServer))];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var connection = new Connection();
            lock (_connections)
            {
                _connections.Add(connection);
                _sockets.Add(client);
                _sockets.Add(server);
            }
            _ = PumpAsync(client, server, connection, fromClient: true);
            _ = PumpAsync(server, client, connection, fromClient: false);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Connection connection, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0) break;
                connection.Record(fromClient, buffer.AsSpan(0, read));
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away: let the other notice.
            try { to.Close(); } catch (ObjectDisposedException) { }
            try { from.Close(); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_connections)
            foreach (var socket in _sockets)
                socket.Dispose();
    }
}

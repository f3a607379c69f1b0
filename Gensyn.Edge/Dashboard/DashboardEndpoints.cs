using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gensyn.Edge.Dashboard;

/// <summary>The dashboard's pages, JSON and live events on the edge's host (docs/dashboard.md).</summary>
public static class DashboardEndpoints
{
    public static IServiceCollection AddDashboard(this IServiceCollection services, EdgeContext edge) => services;

    public static WebApplication MapDashboard(this WebApplication app) => app;
}

using System.Reflection;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The dashboard on the edge's own port (docs/operations/dashboard.md): pages, their JSON, live events and sign-in.
/// Every request is counted against its IP by the edge's limiter; pages forbid any script, style, image or connection
/// from elsewhere (CSP); a session is an HttpOnly, Secure, SameSite=Strict cookie that names an address, and a job's
/// full view, chart and result are its payer's only.
/// </summary>
public static class DashboardEndpoints
{
    public const string SessionCookie = "gensyn_session";

    public static IServiceCollection AddDashboard(this IServiceCollection services, EdgeContext edge)
    {
        var settings = DashboardSettings.From(edge.System.Settings.Config);
        var history = new MarketHistory(settings.HistoryPoints);
        var data = new DashboardData(edge, history);
        services.AddSingleton(settings).AddSingleton(history).AddSingleton(data)
            .AddSingleton(new DashboardSessions(settings));
        services.AddSingleton(provider =>
            new LiveHub(data, settings, provider.GetRequiredService<ILoggerFactory>().CreateLogger<LiveHub>()));
        services.AddHostedService<NetworkSampler>();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var edge = app.Services.GetRequiredService<EdgeContext>();
        edge.Dashboard = app.Services.GetRequiredService<DashboardSessions>();
        edge.System.ActorOf(LiveFeed.Props(app.Services.GetRequiredService<LiveHub>()));
        var pages = app.MapGroup("").AddEndpointFilter(Admit);
        pages.MapGet("/", () => Page("network", "Network"));
        pages.MapGet("/quote", () => Page("quote", "Quote"));
        pages.MapGet("/settlements", () => Page("settlements", "Recent settlements"));
        pages.MapGet("/jobs", () => Page("jobs", "My jobs"));
        pages.MapGet("/jobs/{id}", (string id) => JobId.TryParse(id, out _) ? Page("job", "Job") : NotFound(id));
        pages.MapGet("/assets/{name}", Asset);
        pages.MapGet("/favicon.ico", () => Asset("favicon.svg"));
        pages.MapGet("/session", SignIn);
        DashboardApi.Map(pages);
        return app;
    }

    /// <summary>Counts the request against its IP, and sets the headers that keep every page to this
    /// coordinator.</summary>
    private static async ValueTask<object?> Admit(EndpointFilterInvocationContext invocation,
        EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var edge = http.RequestServices.GetRequiredService<EdgeContext>();
        if (edge.Limiter.Refuse(http, "Dashboard", "the dashboard") is { } reason)
            return Results.Problem(reason, statusCode: StatusCodes.Status429TooManyRequests);
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        return await next(invocation);
    }

    /// <summary>Scripts, styles, images and connections from this coordinator only; no frames, no forms
    /// elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";


    /// <summary>The address the request's session cookie names, or null.</summary>
    public static string? Caller(HttpContext http) =>
        http.RequestServices.GetRequiredService<DashboardSessions>().AddressOf(http.Request.Cookies[SessionCookie]);

    /// <summary>Exchanges a one-time token (from <c>gensyn dashboard</c>) for a session cookie.</summary>
    private static IResult SignIn(HttpContext http, string? token, string? job)
    {
        var sessions = http.RequestServices.GetRequiredService<DashboardSessions>();
        if (sessions.Exchange(token) is not { } session)
            return Html(Template("signin", "Sign-in failed", "This sign-in link was already used or has expired. " +
                                                             "Run <code>gensyn dashboard</code> again for a new one."),
                StatusCodes.Status401Unauthorized);
        http.Response.Cookies.Append(SessionCookie, session.Session, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/", Expires = session.Expires,
            IsEssential = true,
        });
        var target = job is not null && JobId.TryParse(job, out var id)
            ? $"/jobs/{Uri.EscapeDataString(id.Value)}"
            : "/jobs";
        return Results.Redirect(target, permanent: false, preserveMethod: false);
    }

    private static IResult Page(string page, string title) => Html(Template(page, title));

    private static IResult NotFound(string id) => Html(Template("missing", "Not found",
        "That is not a job id. <a href=\"/jobs\">Your jobs</a> lists the ones you submitted."),
        StatusCodes.Status404NotFound);

    private static IResult Html(string html, int status = StatusCodes.Status200OK) =>
        Results.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static string Template(string page, string title, string message = "") =>
        Read("page.html").Replace("{{page}}", page).Replace("{{title}}", title).Replace("{{message}}", message);

    private static IResult Asset(string name) => Assets.TryGetValue(name, out var type) && Load(name) is { } bytes
        ? Results.Bytes(bytes, type)
        : Results.NotFound();

    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["dashboard.js"] = "text/javascript; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["favicon.svg"] = "image/svg+xml",
    };

    private static string Read(string name) => System.Text.Encoding.UTF8.GetString(Load(name)!);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]?> Loaded = new();

    private static byte[]? Load(string name) => Loaded.GetOrAdd(name, n =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("dashboard/" + n);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}

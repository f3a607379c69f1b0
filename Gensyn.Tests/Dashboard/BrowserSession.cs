using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// One browser context (its own cookies, certificate errors ignored: the edge's certificate is self-signed) that
/// records what would break a page for its user: console errors, uncaught page errors, failed requests and error
/// responses, and every request (or WebSocket) whose origin is not the coordinator's. A test reads
/// <see cref="Problems"/> at its end, before the context closes (closing aborts the pages' event streams).
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _problems = new();

    private BrowserSession(IBrowserContext context, Uri origin)
    {
        Context = context;
        Origin = origin;
    }

    public IBrowserContext Context { get; }

    /// <summary>The coordinator's origin (https://HOST:PORT): the only one the pages may reach.</summary>
    public Uri Origin { get; }

    /// <summary>What went wrong so far, one line each, in the order seen.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    public static async Task<BrowserSession> StartAsync(IBrowser browser, string origin)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var session = new BrowserSession(context, new Uri(origin));
        context.Console += (_, message) =>
        {
            if (message.Type == "error") session.Add($"console error on {message.Page?.Url}: {message.Text}");
        };
        context.WebError += (_, error) => session.Add($"page error on {error.Page?.Url}: {error.Error}");
        context.Request += (_, request) =>
        {
            if (!session.IsOwn(request.Url))
                session.Add($"request outside the coordinator: {request.Method} {request.Url}");
        };
        context.RequestFailed += (_, request) =>
            session.Add($"failed request: {request.Method} {request.Url}: {request.Failure}");
        context.Response += (_, response) =>
        {
            if (response.Status >= 400)
                session.Add($"HTTP {response.Status}: {response.Request.Method} {response.Url}");
        };
        context.Page += (_, page) => page.WebSocket += (_, socket) =>
        {
            if (!session.IsOwn(socket.Url)) session.Add($"WebSocket outside the coordinator: {socket.Url}");
        };
        return session;
    }

    /// <summary>A new page at <paramref name="pathOrUrl"/> (a path is taken on the coordinator), once loaded.</summary>
    public async Task<IPage> OpenAsync(string pathOrUrl)
    {
        var page = await Context.NewPageAsync();
        await page.GotoAsync(new Uri(Origin, pathOrUrl).ToString());
        return page;
    }

    /// <summary>
    /// Same scheme, host and port as the coordinator; data: and blob: URLs are made in the page, never fetched.
    /// </summary>
    public bool IsOwn(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme is "data" or "blob") return true;
        var scheme = uri.Scheme switch { "wss" => "https", "ws" => "http", var s => s };
        return scheme == Origin.Scheme && uri.Port == Origin.Port
               && string.Equals(uri.Host, Origin.Host, StringComparison.OrdinalIgnoreCase);
    }

    private void Add(string problem) => _problems.Enqueue(problem);

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}

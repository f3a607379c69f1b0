using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// The watch every browser test ends with sees what it is meant to: a page on a made-up coordinator (served by the
/// browser's own routing, no server) that logs an error, throws, fetches from elsewhere and gets a 404 is reported on
/// each count, and a clean page on it is not.
/// </summary>
public sealed class BrowserSessionTests
{
    private const string Coordinator = "https://coordinator.test:8443";

    [Fact]
    public async Task A_page_that_errs_or_reaches_outside_the_coordinator_is_reported_on_each_count()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var session = await chromium.NewSessionAsync(Coordinator);
        await ServeAsync(session, """
            <!doctype html><title>bad</title>
            <script>console.error("broken figure");</script>
            <img src="https://cdn.elsewhere.test/logo.png">
            <img src="/missing.png">
            <script>throw new Error("uncaught boom");</script>
            """);

        var page = await session.OpenAsync("/");
        await Poll.Until(() => session.Problems.Count >= 5, TimeSpan.FromSeconds(10),
            "five problems: " + string.Join(" | ", session.Problems));

        var problems = string.Join("\n", session.Problems);
        Assert.Contains("console error", problems);
        Assert.Contains("broken figure", problems);
        Assert.Contains("page error", problems);
        Assert.Contains("uncaught boom", problems);
        Assert.Contains("request outside the coordinator: GET https://cdn.elsewhere.test/logo.png", problems);
        Assert.Contains("failed request: GET https://cdn.elsewhere.test/logo.png", problems);
        Assert.Contains($"HTTP 404: GET {Coordinator}/missing.png", problems);
        Assert.Equal(Coordinator + "/", page.Url);
    }

    [Fact]
    public async Task A_clean_page_on_the_coordinator_is_not_reported()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var session = await chromium.NewSessionAsync(Coordinator);
        await ServeAsync(session, """
            <!doctype html><title>good</title><img src="/logo.png">
            <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
            <script>console.log("fine"); document.body.dataset.done = "yes";</script>
            """);

        var page = await session.OpenAsync("/");
        await page.WaitForFunctionAsync("() => document.body.dataset.done === 'yes'");

        Assert.Empty(session.Problems);
    }

    /// <summary>
    /// The coordinator's origin answers <paramref name="html"/> at / and a PNG at /logo.png, 404 elsewhere; any other
    /// origin is unreachable (aborted), as on a closed network.
    /// </summary>
    private static Task ServeAsync(BrowserSession session, string html) =>
        session.Context.RouteAsync("**/*", route =>
        {
            var url = new Uri(route.Request.Url);
            if (!session.IsOwn(route.Request.Url)) return route.AbortAsync("internetdisconnected");
            return url.AbsolutePath switch
            {
                "/" => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = html }),
                "/logo.png" => route.FulfillAsync(
                    new RouteFulfillOptions { ContentType = "image/png", BodyBytes = Png }),
                _ => route.FulfillAsync(new RouteFulfillOptions { Status = 404, Body = "not here" }),
            };
        });

    /// <summary>A 1x1 transparent PNG.</summary>
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");
}

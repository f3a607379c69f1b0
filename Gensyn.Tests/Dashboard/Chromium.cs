using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// Debian's <c>chromium</c>, headless, driven through Playwright's bundled driver with <c>ExecutablePath</c>: no
/// browser is downloaded at run time. GENSYN_CHROMIUM names another executable. Shared by the browser tests and the
/// dashboard benchmark (no test framework here).
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    /// <summary>
    /// Headless, no sandbox (CI runs as root), no GPU, and none of Chromium's own background traffic (updates, sync,
    /// QUIC probes): a closed network refuses it, and it would count as requests outside the coordinator.
    /// </summary>
    public static readonly IReadOnlyList<string> Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("GENSYN_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<Chromium> LaunchAsync()
    {
        var path = ExecutablePath;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"no Chromium at {path}: install Debian's chromium package (apt-get install chromium; " +
                "scripts/test.sh does as root) or set GENSYN_CHROMIUM to a Chromium executable", path);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = path, Headless = true, Args = Arguments,
            });
            return new Chromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh context (no cookies) whose pages may only talk to <paramref name="origin"/>.</summary>
    public Task<BrowserSession> NewSessionAsync(string origin) => BrowserSession.StartAsync(Browser, origin);

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

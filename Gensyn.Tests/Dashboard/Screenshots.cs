using Gensyn.Tests.Cli;
using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// Screenshots the browser tests take: always into the test output's <c>screenshots/</c> folder, and into
/// <c>docs/images/dashboard-NAME.png</c> (the README's pictures) when GENSYN_SCREENSHOTS=1.
/// </summary>
public static class Screenshots
{
    public static string OutputDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>Saves <paramref name="page"/> as dashboard-<paramref name="name"/>.png; returns the output's copy.
    /// </summary>
    public static async Task<string> SaveAsync(IPage page, string name)
    {
        var file = $"dashboard-{name}.png";
        var output = Path.Combine(Directory.CreateDirectory(OutputDirectory).FullName, file);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = output, FullPage = true });
        if (Environment.GetEnvironmentVariable("GENSYN_SCREENSHOTS") == "1")
        {
            var images = Directory.CreateDirectory(Path.Combine(GensynProcess.RepositoryRoot, "docs", "images"));
            File.Copy(output, Path.Combine(images.FullName, file), overwrite: true);
        }
        return output;
    }
}

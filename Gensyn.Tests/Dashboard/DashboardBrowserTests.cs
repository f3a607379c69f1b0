using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Cluster;
using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's, through Playwright), served by a real coordinator's edge while
/// a real job runs on real workers (<see cref="DashboardCluster"/>). Every test ends by checking that its pages logged
/// no console or page error, had no request fail, and asked nothing of any origin but the coordinator's.
/// </summary>
[Collection("cluster")]
public sealed partial class DashboardBrowserTests(DashboardCluster f) : IClassFixture<DashboardCluster>
{
    private static readonly TimeSpan UiLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_network_page_shows_a_registered_worker_and_the_clearing_price()
    {
        // Idle workers once the job has ended: each class then has a clearing price that `gensyn market` shows too.
        await f.FinishedJobAsync();
        var market = Json(f.Cluster.Cli("market", "--json")).GetProperty("classes").EnumerateArray()
            .First(c => c.GetProperty("clearingPrice").ValueKind == JsonValueKind.Number);
        var workers = Json(f.Cluster.Cli("workers", "--json")).GetProperty("workers").EnumerateArray()
            .Select(w => w.GetProperty("workerId").GetString()!).ToList();

        await using var session = await f.SessionAsync();
        var page = await session.OpenAsync("/");
        await ExpectPageAsync(page, "network");

        var shown = await page.Locator("#workers tbody tr[data-worker]").EvaluateAllAsync<string[]>(
            "rows => rows.map(r => r.dataset.worker)");
        Assert.Equal(workers.Count, shown.Length);
        Assert.All(shown, id =>
            Assert.Contains(workers, w => w.StartsWith(id.TrimEnd('…', '.'), StringComparison.Ordinal)));

        var @class = market.GetProperty("class").GetString()!;
        var cell = await page.Locator($"#market tbody tr[data-class=\"{@class}\"] td.clearing-price").InnerTextAsync();
        var (price, decimals) = FirstNumber(cell);
        Assert.True(Math.Abs(price - market.GetProperty("clearingPrice").GetDouble()) <= 0.5 * Math.Pow(10, -decimals),
            $"the page shows {cell} for {@class}; gensyn market says {market.GetProperty("clearingPrice")}");
        Assert.Equal(1, await page.Locator("#price-chart svg").CountAsync());
        Assert.Equal(1, await page.Locator("#volume-chart svg").CountAsync());

        await Screenshots.SaveAsync(page, "network");
        AssertClean(session);
    }

    [Fact]
    public async Task A_job_page_left_open_gains_a_loss_point_when_a_round_completes_without_a_reload()
    {
        var live = f.Live;
        await Poll.Until(async () => await live.PointsAsync() > live.InitialPoints, JobLimit,
            async () => $"the loss chart stayed at {await live.PointsAsync()} point(s) " +
                        $"(opened with {live.InitialPoints})\n{f.Cluster.Logs()}");

        // Left open through the whole job, it ends with the numbers `gensyn status` gives: a point per round, the
        // state.
        var job = await f.FinishedJobAsync();
        Assert.True(live.InitialPoints < job.RoundHistory.Count,
            $"the page was opened after the last round ({live.InitialPoints} of {job.RoundHistory.Count} points)");
        await Poll.Until(async () => await live.PointsAsync() == job.RoundHistory.Count
                                     && (await live.Page.Locator("#job-state").InnerTextAsync()).Trim() == "completed",
            UiLimit, async () => $"the page shows {await live.PointsAsync()} point(s) and state " +
                                 $"'{await live.Page.Locator("#job-state").InnerTextAsync()}'; gensyn status: " +
                                 $"{job.RoundHistory.Count} rounds, completed");
        Assert.Equal(0, live.Navigations);
        Assert.True(await live.StillTheSameDocumentAsync(), "the job page was reloaded");

        await Screenshots.SaveAsync(live.Page, "job");
        AssertClean(live.Session);
    }

    [Fact]
    public async Task The_quote_page_gives_the_figures_gensyn_quote_json_gives()
    {
        // Quoted with the market at rest (the job over), so that the CLI and the page see one price.
        await f.FinishedJobAsync();
        var spec = Path.Combine(GensynProcess.RepositoryRoot, "examples", "mnist-mlp.yaml");
        var cli = Json(f.Cluster.Cli("quote", spec, "--json"));

        await using var session = await f.SessionAsync();
        var page = await session.OpenAsync("/quote");
        await ExpectPageAsync(page, "quote");
        await page.Locator("textarea#spec").FillAsync(await File.ReadAllTextAsync(spec));
        var pasted = await QuoteShownAsync(page);
        Assert.True(JsonElement.DeepEquals(cli, pasted), $"gensyn quote --json: {cli}\npage: {pasted}");
        Assert.Equal(cli.GetProperty("cloud").GetProperty("references").GetArrayLength(),
            await page.Locator("#cloud-prices tbody tr").CountAsync());
        Assert.Matches(@"\d.*%", await page.Locator("#saving").InnerTextAsync());

        // The same spec uploaded as a file.
        await page.Locator("textarea#spec").FillAsync("");
        await page.Locator("input#spec-file").SetInputFilesAsync(spec);
        await page.WaitForFunctionAsync("() => document.querySelector('textarea#spec').value.length > 0", null,
            new PageWaitForFunctionOptions { Timeout = (float)UiLimit.TotalMilliseconds });
        var uploaded = await QuoteShownAsync(page);
        Assert.True(JsonElement.DeepEquals(cli, uploaded), $"gensyn quote --json: {cli}\npage (uploaded): {uploaded}");
        AssertClean(session);
    }

    [Fact]
    public async Task Another_requesters_session_sees_the_job_as_its_summary_only_and_cannot_download_its_model()
    {
        await f.FinishedJobAsync();
        f.CreateRequester("requester-2");
        var (other, landing) = await f.SignedInAsync("requester-2");
        await using var _ = other;
        await ExpectPageAsync(landing, "jobs");
        Assert.Equal(0, await landing.Locator($"#jobs tbody tr[data-job=\"{f.JobId}\"]").CountAsync());

        var page = await other.OpenAsync($"/jobs/{f.JobId}");
        await ExpectPageAsync(page, "job");
        Assert.Equal(1, await page.Locator("#summary-only").CountAsync());
        foreach (var owned in new[] { "#shard-map", "#money", "a#download" })
            Assert.Equal(0, await page.Locator(owned).CountAsync());
        var refused = await other.Context.APIRequest.GetAsync($"{f.Origin}/api/jobs/{f.JobId}/result");
        Assert.Equal(403, refused.Status);

        // The owner's session sees all of it and downloads the model `gensyn result` downloads; no session gets a 401.
        var (owner, ownPage) = await f.SignedInAsync(DashboardCluster.Owner, f.JobId);
        await using var __ = owner;
        await ExpectPageAsync(ownPage, "job");
        Assert.Equal(0, await ownPage.Locator("#summary-only").CountAsync());
        foreach (var owned in new[] { "#shard-map", "#money", "a#download" })
            Assert.Equal(1, await ownPage.Locator(owned).CountAsync());
        var model = Path.Combine(f.Cluster.Root, "dashboard-model.safetensors");
        var result = f.Cluster.Cli("result", f.JobId, "--out", model);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var downloaded = await owner.Context.APIRequest.GetAsync($"{f.Origin}/api/jobs/{f.JobId}/result");
        Assert.Equal(200, downloaded.Status);
        Assert.Equal(await File.ReadAllBytesAsync(model), await downloaded.BodyAsync());
        await using (var anonymous = await f.SessionAsync())
        {
            var unsigned = await anonymous.Context.APIRequest.GetAsync($"{f.Origin}/api/jobs/{f.JobId}/result");
            Assert.Equal(401, unsigned.Status);
        }

        AssertClean(other);
        AssertClean(owner);
    }

    [Fact]
    public async Task Every_page_loads_with_no_console_error_and_no_request_outside_the_coordinator()
    {
        await f.FinishedJobAsync();
        await using var anonymous = await f.SessionAsync();
        foreach (var (path, name) in new[]
                 {
                     ("/", "network"), ("/quote", "quote"), ("/settlements", "settlements"), ("/jobs", "jobs"),
                     ($"/jobs/{f.JobId}", "job"),
                 })
            await ExpectPageAsync(await anonymous.OpenAsync(path), name);

        var (owner, jobs) = await f.SignedInAsync(DashboardCluster.Owner);
        await using var _ = owner;
        await ExpectPageAsync(jobs, "jobs");
        Assert.Equal(1, await jobs.Locator($"#jobs tbody tr[data-job=\"{f.JobId}\"]").CountAsync());
        await ExpectPageAsync(await owner.OpenAsync($"/jobs/{f.JobId}"), "job");

        AssertClean(anonymous);
        AssertClean(owner);
    }

    /// <summary>The page is the one named, and its event stream is connected (so its scripts ran).</summary>
    private static async Task ExpectPageAsync(IPage page, string name)
    {
        Assert.Equal(1, await page.Locator($"main[data-page=\"{name}\"]").CountAsync());
        await page.WaitForFunctionAsync("() => document.body.dataset.live === 'open'", null,
            new PageWaitForFunctionOptions { Timeout = (float)UiLimit.TotalMilliseconds });
    }

    /// <summary>Asks for the quote with the button; the JSON the page then shows (#quote-result[data-json]).</summary>
    private static async Task<JsonElement> QuoteShownAsync(IPage page)
    {
        var result = page.Locator("#quote-result");
        await page.EvaluateAsync("() => document.querySelector('#quote-result').removeAttribute('data-json')");
        await page.Locator("button#quote-button").ClickAsync();
        await page.WaitForFunctionAsync("() => !!document.querySelector('#quote-result').dataset.json", null,
            new PageWaitForFunctionOptions { Timeout = (float)UiLimit.TotalMilliseconds });
        return JsonDocument.Parse((await result.GetAttributeAsync("data-json"))!).RootElement.Clone();
    }

    private static void AssertClean(BrowserSession session)
    {
        var problems = session.Problems;
        Assert.True(problems.Count == 0, "the pages had problems:\n" + string.Join("\n", problems));
    }

    private static JsonElement Json(GensynProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    /// <summary>The first number in <paramref name="text"/>, and how many decimals it was written with.</summary>
    private static (double Value, int Decimals) FirstNumber(string text)
    {
        var match = Number().Match(text.Replace(",", ""));
        Assert.True(match.Success, $"no number in '{text}'");
        var dot = match.Value.IndexOf('.');
        return (double.Parse(match.Value, CultureInfo.InvariantCulture), dot < 0 ? 0 : match.Value.Length - dot - 1);
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Number();
}

using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Cluster;
using Microsoft.Playwright;

namespace Gensyn.Tests.Dashboard;

/// <summary>
/// What the browser tests share: one real cluster (a coordinator with its edge and devnet, two workers), one Chromium,
/// and one small MNIST job submitted as they start, whose page its owner opened at once and leaves open
/// (<see cref="Live"/>), so that a test may look at it whenever it runs, while the job runs or after.
/// </summary>
public sealed class DashboardCluster : IAsyncLifetime
{
    /// <summary>
    /// MNIST, small enough for the suite yet with rounds enough to be watched: 4 rounds x 2 shards x 10 steps.
    /// </summary>
    public const string JobYaml = """
        name: dashboard-mnist
        model: { kind: mlp, hidden: [32] }
        dataset: { name: mnist }
        training:
          rounds: 4
          shards: 2
          inner-steps: 10
          batch-size: 32
          seed: 19
          threads: 1
          checkpoint-every: 5
          inner-optimizer: { kind: adamw, lr: 0.002 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    /// <summary>The data directory (wallet) of the requester who submits the job.</summary>
    public const string Owner = "cli";

    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(5);
    private Task<JobView>? _finished;

    public LocalCluster Cluster { get; private set; } = null!;
    public Chromium Chromium { get; private set; } = null!;
    public string JobId { get; private set; } = "";

    /// <summary>The owner's page of the job, opened right after the submit and never reloaded.</summary>
    public LiveJobPage Live { get; private set; } = null!;

    /// <summary>https://HOST:PORT of the coordinator's edge.</summary>
    public string Origin => $"https://{Cluster.Coordinators}";

    public async Task InitializeAsync()
    {
        Cluster = TestCluster.Start(workers: 2);
        Chromium = await Chromium.LaunchAsync();
        JobId = Cluster.Submit(JobYaml);
        var (session, page) = await SignedInAsync(Owner, JobId);
        Live = await LiveJobPage.WatchAsync(session, page);
    }

    /// <summary>A fresh context with no session.</summary>
    public Task<BrowserSession> SessionAsync() => Chromium.NewSessionAsync(Origin);

    /// <summary>
    /// A fresh context signed in as the requester whose data directory is ROOT/<paramref name="requester"/>, the way
    /// <c>gensyn dashboard</c> does it (a signed call for a one-time token, then the browser at its URL), and the page
    /// it lands on (<c>/jobs</c>, or the job's page).
    /// </summary>
    public async Task<(BrowserSession Session, IPage Page)> SignedInAsync(string requester, string? job = null)
    {
        Uri url;
        await using (var client = Cluster.Client(requester))
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            url = await DashboardCommand.SignInUrl(client, job, cancel.Token);
        var session = await Chromium.NewSessionAsync(Origin);
        return (session, await session.OpenAsync(url.ToString()));
    }

    /// <summary>The job's view once it has ended (waited for once, shared).</summary>
    public Task<JobView> FinishedJobAsync() => _finished ??= WaitForJobAsync();

    private async Task<JobView> WaitForJobAsync()
    {
        await using var client = Cluster.Client(Owner);
        var view = await InProcessClusterTests.WaitUntilFinished(client, JobId, JobLimit);
        Assert.True(view.State == JobPhase.Completed, $"the dashboard's job ended {view.State}: {view.Reason}");
        return view;
    }

    /// <summary>A second requester, with a wallet of its own (ROOT/<paramref name="name"/>/wallet.key).</summary>
    public void CreateRequester(string name)
    {
        if (File.Exists(Path.Combine(Cluster.DataDir(name), "wallet.key"))) return;
        var created = GensynProcess.Run(Cluster.DataDir(name), "wallet", "new");
        Assert.True(created.ExitCode == 0, created.Stderr);
    }

    public async Task DisposeAsync()
    {
        if (Live is not null) await Live.Session.DisposeAsync();
        if (Chromium is not null) await Chromium.DisposeAsync();
        Cluster?.Dispose();
    }
}

/// <summary>
/// A job page left open: how many points its loss chart had once loaded, and a mark set in the page then, which a
/// reload would wipe; main-frame navigations are counted from then on.
/// </summary>
public sealed class LiveJobPage
{
    private int _navigations;

    private LiveJobPage(BrowserSession session, IPage page, int initialPoints)
    {
        Session = session;
        Page = page;
        InitialPoints = initialPoints;
    }

    public BrowserSession Session { get; }
    public IPage Page { get; }
    public int InitialPoints { get; }

    /// <summary>Main-frame navigations since the page was first loaded.</summary>
    public int Navigations => Volatile.Read(ref _navigations);

    public static async Task<LiveJobPage> WatchAsync(BrowserSession session, IPage page)
    {
        var initial = await PointsAsync(page);
        await page.EvaluateAsync("() => { window.gensynOpenedMark = 'opened'; }");
        var live = new LiveJobPage(session, page, initial);
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame) Interlocked.Increment(ref live._navigations);
        };
        return live;
    }

    public Task<int> PointsAsync() => PointsAsync(Page);

    /// <summary>Whether the mark set when the page was opened is still there (no reload since).</summary>
    public Task<bool> StillTheSameDocumentAsync() =>
        Page.EvaluateAsync<bool>("() => window.gensynOpenedMark === 'opened'");

    public static async Task<int> PointsAsync(IPage page) =>
        int.Parse(await page.Locator("#loss-chart").GetAttributeAsync("data-points") ?? "-1");
}

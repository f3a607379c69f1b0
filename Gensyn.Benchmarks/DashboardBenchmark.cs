using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Node.Local;
using Gensyn.Tests.Cluster;
using Gensyn.Tests.Dashboard;
using Microsoft.Playwright;

namespace Gensyn.Benchmarks;

/// <summary>
/// The dashboard in Debian's headless Chromium against a local network (a coordinator with its devnet and two
/// workers, real processes, the Release build), in one run:
/// (a) from a round's completion, as the coordinator journaled it, to its point on an open job page
///     (<c>#loss-chart[data-updated-at]</c>, the page's clock; same machine);
/// (b) page weight: bytes received per page (every request, headers included, and what its event stream brought once
///     connected);
/// (c) the coordinator process's CPU seconds for one job with 20 open job pages against the same job with none
///     (after a warm-up job; pairs in alternating order; GENSYN_BENCH_REPEATS pairs, default 3).
/// </summary>
public static class DashboardBenchmark
{
    /// <summary>The mlp example's model and data, 6 rounds x 2 shards x 40 steps: 10-20 s on the 2-core machine.
    /// </summary>
    public const string JobYaml = """
        name: bench-dashboard
        model: { kind: mlp, hidden: [256] }
        dataset: { name: mnist }
        training:
          rounds: 6
          shards: 2
          inner-steps: 40
          batch-size: 64
          seed: 42
          threads: 1
          checkpoint-every: 20
          inner-optimizer: { kind: adamw, lr: 0.001, weight-decay: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 2 }
        budget: { token: GENS, max-price-per-hour: 0.5, max-total: 5 }
        """;

    private const int OpenPages = 20;
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(10);

    private sealed record Draw(int Points, double At);

    /// <summary>A local network with Chromium beside it, and the spec every job of the run submits.</summary>
    private sealed record Bench(LocalCluster Cluster, Chromium Chromium, string Origin, string Spec);

    public static void Run(string root, string dataDir) => RunAsync(root, dataDir).GetAwaiter().GetResult();

    private static async Task RunAsync(string root, string dataDir)
    {
        var executable = BenchCluster.FindExecutable(root);
        var repeats = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_REPEATS"), out var r) && r > 0
            ? r
            : 3;
        Console.WriteLine("dashboard: bench-dashboard (mlp [256], 6 rounds x 2 shards x 40 steps) on 1 coordinator " +
                          $"(devnet) + 2 workers, Chromium {Chromium.ExecutablePath}, {Environment.ProcessorCount} " +
                          $"cores ({executable})");
        using var cluster = BenchCluster.Create(executable, dataDir);
        cluster.StartCoordinator();
        for (var i = 1; i <= 2; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(2);
        await using var chromium = await Chromium.LaunchAsync();
        var spec = Path.Combine(cluster.Root, "bench-dashboard.yaml");
        await File.WriteAllTextAsync(spec, JobYaml);
        var bench = new Bench(cluster, chromium, $"https://{cluster.Coordinators}", spec);

        var job = await LatencyAsync(bench);
        await PageWeightAsync(bench, job);
        await CpuAsync(bench, repeats);
    }

    /// <summary>(a) One job watched on its owner's page: each round's completion to its point on the chart.</summary>
    private static async Task<string> LatencyAsync(Bench bench)
    {
        var job = Submit(bench.Cluster, bench.Spec);
        var (watcher, page) = await SignInAsync(bench, job);
        await page.EvaluateAsync("""
            () => {
              window.gensynDraws = [];
              let last = null;
              new MutationObserver(() => {
                const chart = document.querySelector('#loss-chart');
                if (!chart || !chart.dataset.updatedAt || chart.dataset.updatedAt === last) return;
                last = chart.dataset.updatedAt;
                window.gensynDraws.push({ points: +chart.dataset.points, at: +chart.dataset.updatedAt });
              }).observe(document.body, { subtree: true, childList: true, attributes: true });
            }
            """);
        var finished = await WaitUntilFinished(bench.Cluster, job, settled: true);
        await Task.Delay(2000);
        var draws = JsonSerializer.Deserialize<List<Draw>>(
            await page.EvaluateAsync<string>("() => JSON.stringify(window.gensynDraws)"),
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        await watcher.DisposeAsync();
        var rounds = bench.Cluster.JobEvents(job).OfKind("RoundCompleted")
            .Select(e => (Round: e.Int("round"), At: e.Data.GetProperty("at").GetDateTimeOffset())).ToList();
        var latencies = new List<double>();
        foreach (var (round, at) in rounds)
        {
            // The point of round R (0-based) is the chart's (R+1)-th: the first draw that shows it.
            var completed = at.ToUnixTimeMilliseconds();
            var draw = draws.FirstOrDefault(d => d.Points >= round + 1 && d.At >= completed - 1000);
            if (draw is not null) latencies.Add(draw.At - completed);
        }
        Console.WriteLine($"  (a) round completed (journal) -> its point on an open page: {latencies.Count} of " +
                          $"{rounds.Count} rounds seen ({finished.RoundHistory.Count} in the job)");
        Row("      latency, ms", latencies);
        return job;
    }

    /// <summary>(b) Each page in a fresh context (the owner's pages after the sign-in's own redirect).</summary>
    private static async Task PageWeightAsync(Bench bench, string job)
    {
        Console.WriteLine("  (b) page weight (bytes received: every request, headers included, and the event " +
                          "stream's first 1.5 s)");
        Console.WriteLine($"      {"page",-24} {"requests",8} {"KB",9}");
        foreach (var path in new[] { "/", "/quote", "/settlements", $"/jobs/{job}" })
        {
            await using var session = await bench.Chromium.NewSessionAsync(bench.Origin);
            Print(path + " (no session)", await WeighAsync(session, path));
        }
        var (owner, _) = await SignInAsync(bench, null);
        await using (owner)
        {
            foreach (var path in new[] { "/jobs", $"/jobs/{job}" })
                Print(path + " (owner)", await WeighAsync(owner, path));
        }

        void Print(string page, (int Requests, long Bytes) weight) =>
            Console.WriteLine($"      {page.Replace(job, "JOB"),-24} {weight.Requests,8} {weight.Bytes / 1024.0,9:F1}");
    }

    /// <summary>
    /// (c) The same job with no page open and with 20 of its owner's tabs open on it, in ABBA order after a warm-up
    /// job: the coordinator process's CPU seconds.
    /// </summary>
    private static async Task CpuAsync(Bench bench, int repeats)
    {
        Console.WriteLine("  (c) coordinator CPU for one job (submit -> ended and settled): no page open vs " +
                          $"{OpenPages} open job pages, {repeats} pair(s) in alternating order");
        Console.WriteLine($"      {"run",-16} {"CPU s",8} {"wall s",8} {"CPU/wall",9}");
        var cpu = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        Print("warm-up, no page (not counted)", await MeasureAsync(bench, NoPage));
        for (var run = 0; run < 2 * repeats; run++)
        {
            var withPages = run % 4 is 1 or 2;
            var measured = await MeasureAsync(bench, withPages ? OpenPagesAsync : NoPage);
            cpu[withPages].Add(measured.Cpu);
            Print(withPages ? $"{OpenPages} job pages" : "no page", measured);
        }
        var ratio = cpu[true].Average() / cpu[false].Average();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"      CPU with {OpenPages} pages / CPU with none (means): {ratio:F2}"));

        static Task<BrowserSession?> NoPage(string id) => Task.FromResult<BrowserSession?>(null);

        async Task<BrowserSession?> OpenPagesAsync(string id)
        {
            // One signed-in browser with 20 tabs on the job (HTTP/2: one connection carries the 20 event streams).
            var (session, first) = await SignInAsync(bench, id);
            var pages = new List<IPage> { first };
            for (var i = 1; i < OpenPages; i++) pages.Add(await session.OpenAsync($"/jobs/{id}"));
            foreach (var page in pages) await page.WaitForFunctionAsync("() => document.body.dataset.live === 'open'");
            return session;
        }

        static void Print(string run, (double Cpu, double Wall) m) =>
            Console.WriteLine($"      {run,-16} {m.Cpu,8:F2} {m.Wall,8:F1} {m.Cpu / m.Wall,9:F3}");
    }

    /// <summary>
    /// Coordinator CPU seconds and wall seconds from a submit until the job ended and its money settled (no order
    /// pending, the rest refunded), with the pages <paramref name="open"/> opens on it meanwhile.
    /// </summary>
    private static async Task<(double Cpu, double Wall)> MeasureAsync(
        Bench bench, Func<string, Task<BrowserSession?>> open)
    {
        var coordinator = bench.Cluster.CoordinatorProcess();
        coordinator.Refresh();
        var cpu = coordinator.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var job = Submit(bench.Cluster, bench.Spec);
        var session = await open(job);
        await WaitUntilFinished(bench.Cluster, job, settled: true);
        coordinator.Refresh();
        var used = (coordinator.TotalProcessorTime - cpu).TotalSeconds;
        var wall = clock.Elapsed.TotalSeconds;
        if (session is not null) await session.DisposeAsync();
        return (used, wall);
    }

    /// <summary>
    /// Requests and bytes received while <paramref name="path"/> loads and connects its event stream, from Chromium's
    /// network events: each finished request's encoded length (headers and body), and what the open stream brought so
    /// far.
    /// </summary>
    private static async Task<(int Requests, long Bytes)> WeighAsync(BrowserSession session, string path)
    {
        var page = await session.Context.NewPageAsync();
        var cdp = await session.Context.NewCDPSessionAsync(page);
        var requests = new ConcurrentDictionary<string, bool>();
        var streamed = new ConcurrentDictionary<string, long>();
        var finished = new ConcurrentDictionary<string, long>();
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, e) => requests[Id(e)] = true;
        cdp.Event("Network.dataReceived").OnEvent += (_, e) =>
        {
            var encoded = e!.Value.GetProperty("encodedDataLength").GetInt64();
            var length = encoded > 0 ? encoded : e.Value.GetProperty("dataLength").GetInt64();
            streamed.AddOrUpdate(Id(e), length, (_, sum) => sum + length);
        };
        cdp.Event("Network.loadingFinished").OnEvent += (_, e) =>
            finished[Id(e)] = (long)e!.Value.GetProperty("encodedDataLength").GetDouble();
        await cdp.SendAsync("Network.enable");
        await page.GotoAsync(new Uri(session.Origin, path).ToString());
        await page.WaitForFunctionAsync("() => document.body.dataset.live === 'open'");
        await Task.Delay(1500);
        var bytes = finished.Values.Sum() + streamed.Where(s => !finished.ContainsKey(s.Key)).Sum(s => s.Value);
        if (session.Problems.Count > 0) Console.WriteLine($"      ({path}: {string.Join("; ", session.Problems)})");
        return (requests.Count, bytes);

        static string Id(JsonElement? e) => e!.Value.GetProperty("requestId").GetString()!;
    }

    /// <summary>A fresh context signed in as the requester (ROOT/cli) as `gensyn dashboard` does it.</summary>
    private static async Task<(BrowserSession Session, IPage Page)> SignInAsync(Bench bench, string? job)
    {
        Uri url;
        await using (var client = bench.Cluster.Client())
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            url = await DashboardCommand.SignInUrl(client, job, cancel.Token);
        var session = await bench.Chromium.NewSessionAsync(bench.Origin);
        return (session, await session.OpenAsync(url.ToString()));
    }

    private static string Submit(LocalCluster cluster, string spec)
    {
        var submitted = cluster.Run("cli", ["submit", spec, "--json", "--yes", "-c", cluster.Coordinators]);
        if (submitted.ExitCode != 0)
            throw new InvalidOperationException($"submit failed: {submitted.Stderr}\n{cluster.Logs()}");
        return submitted.Json().GetProperty("jobId").GetString()!;
    }

    /// <summary>The job's view once it completed (and, with <paramref name="settled"/>, its money settled).</summary>
    private static async Task<JobView> WaitUntilFinished(LocalCluster cluster, string job, bool settled = false)
    {
        await using var client = cluster.Client();
        var giveUp = DateTime.UtcNow + JobLimit;
        while (true)
        {
            if (await client.Ask(new GetJobStatus((JobId)job)) is JobView view
                && view.State is not (JobPhase.Queued or JobPhase.Running)
                && (!settled || view.Money is { Pending.Count: 0, RefundedMicros: > 0 }))
                return view.State == JobPhase.Completed
                    ? view
                    : throw new InvalidOperationException($"{job} ended {view.State}: {view.Reason}\n{cluster.Logs()}");
            if (DateTime.UtcNow > giveUp)
                throw new TimeoutException($"{job} did not finish in {JobLimit}\n{cluster.Logs()}");
            await Task.Delay(1000);
        }
    }

    private static void Row(string label, List<double> values)
    {
        if (values.Count == 0)
        {
            Console.WriteLine($"{label}: none measured");
            return;
        }
        var sorted = values.Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: median {sorted[sorted.Count / 2]:F0}, min {sorted[0]:F0}, max {sorted[^1]:F0} " +
            $"(n = {sorted.Count})"));
    }
}

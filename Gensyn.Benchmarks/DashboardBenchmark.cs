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
/// (b) page weight: bytes transferred per page (every finished resource, headers included; the event stream aside);
/// (c) the coordinator process's CPU seconds for one job with 20 open job pages against the same job with none.
/// </summary>
public static class DashboardBenchmark
{
    /// <summary>The mlp example's model and data, 6 rounds x 2 shards x 40 steps: ~1 min on the 2-core machine.</summary>
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

    public static void Run(string root, string dataDir) => RunAsync(root, dataDir).GetAwaiter().GetResult();

    private static async Task RunAsync(string root, string dataDir)
    {
        var executable = BenchCluster.FindExecutable(root);
        var repeats = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_REPEATS"), out var r) && r > 0 ? r : 1;
        Console.WriteLine($"dashboard: bench-dashboard (mlp [256], 6 rounds x 2 shards x 40 steps) on 1 coordinator (devnet) + 2 workers, " +
                          $"Chromium {Chromium.ExecutablePath}, {Environment.ProcessorCount} cores ({executable})");
        using var cluster = BenchCluster.Create(executable, dataDir);
        cluster.StartCoordinator();
        for (var i = 1; i <= 2; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(2);
        await using var chromium = await Chromium.LaunchAsync();
        var origin = $"https://{cluster.Coordinators}";
        var spec = Path.Combine(cluster.Root, "bench-dashboard.yaml");
        await File.WriteAllTextAsync(spec, JobYaml);

        // (a) One job watched on one page (it also warms the coordinator up for (c)).
        var job = Submit(cluster, spec);
        var (watcher, page) = await SignInAsync(cluster, chromium, origin, job);
        await page.EvaluateAsync("""
            () => {
              window.gensynDraws = [];
              let last = null;
              new MutationObserver(() => {
                const chart = document.querySelector('#loss-chart');
                if (!chart || chart.dataset.updatedAt === last) return;
                last = chart.dataset.updatedAt;
                window.gensynDraws.push({ points: +chart.dataset.points, at: +chart.dataset.updatedAt });
              }).observe(document.body, { subtree: true, childList: true, attributes: true });
            }
            """);
        var finished = await WaitUntilFinished(cluster, job);
        await Task.Delay(2000);
        var draws = JsonSerializer.Deserialize<List<Draw>>(
            await page.EvaluateAsync<JsonElement>("() => window.gensynDraws"), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        await watcher.DisposeAsync();
        var rounds = cluster.JobEvents(job).OfKind("RoundCompleted")
            .Select(e => (Round: e.Int("round"), At: e.Data.GetProperty("at").GetDateTimeOffset())).ToList();
        var latencies = new List<double>();
        foreach (var (round, at) in rounds)
        {
            // The point of round R (0-based) is the chart's (R+1)-th; the first draw that shows it.
            var draw = draws.FirstOrDefault(d => d.Points >= round + 1 && d.At >= at.ToUnixTimeMilliseconds() - 1000);
            if (draw is not null) latencies.Add(draw.At - at.ToUnixTimeMilliseconds());
        }
        Console.WriteLine($"  (a) round completed (journal) -> its point on an open page: {latencies.Count} of {rounds.Count} rounds seen " +
                          $"({finished.RoundHistory.Count} in the job)");
        Row("      latency, ms", latencies);

        // (b) Page weight, each page in a fresh context (signed-in pages after the sign-in's own redirect).
        Console.WriteLine("  (b) page weight (bytes transferred: every finished request, headers included; the event stream aside)");
        Console.WriteLine($"      {"page",-24} {"requests",8} {"KB",9}");
        foreach (var path in new[] { "/", "/quote", "/settlements", $"/jobs/{job}" })
        {
            await using var session = await chromium.NewSessionAsync(origin);
            var (requests, bytes) = await WeighAsync(session, path);
            Console.WriteLine($"      {Short(path, job) + " (no session)",-24} {requests,8} {bytes / 1024.0,9:F1}");
        }
        var (owner, _) = await SignInAsync(cluster, chromium, origin, null);
        await using (owner)
        {
            foreach (var path in new[] { "/jobs", $"/jobs/{job}" })
            {
                var (requests, bytes) = await WeighAsync(owner, path);
                Console.WriteLine($"      {Short(path, job) + " (owner)",-24} {requests,8} {bytes / 1024.0,9:F1}");
            }
        }

        // (c) The same job with no page open, then with 20 open job pages (the owner's, each its own context).
        Console.WriteLine($"  (c) coordinator CPU for one job: no page open vs {OpenPages} open job pages ({repeats} pair(s))");
        Console.WriteLine($"      {"run",-16} {"CPU s",8} {"wall s",8} {"CPU/wall",9}");
        var ratios = new List<double>();
        for (var run = 1; run <= repeats; run++)
        {
            var none = await MeasureAsync(cluster, spec, _ => Task.FromResult(new List<BrowserSession>()));
            Console.WriteLine($"      {"no page",-16} {none.Cpu,8:F2} {none.Wall,8:F1} {none.Cpu / none.Wall,9:F3}");
            var open = await MeasureAsync(cluster, spec, async id =>
            {
                // One signed-in browser with 20 tabs on the job (HTTP/2: one connection carries the 20 event streams).
                var (session, first) = await SignInAsync(cluster, chromium, origin, id);
                var pages = new List<IPage> { first };
                for (var i = 1; i < OpenPages; i++) pages.Add(await session.OpenAsync($"/jobs/{id}"));
                foreach (var page in pages) await page.WaitForFunctionAsync("() => document.body.dataset.live === 'open'");
                return [session];
            });
            Console.WriteLine($"      {$"{OpenPages} job pages",-16} {open.Cpu,8:F2} {open.Wall,8:F1} {open.Cpu / open.Wall,9:F3}");
            ratios.Add(open.Cpu / none.Cpu);
        }
        Console.WriteLine($"      CPU with {OpenPages} pages / CPU with none: " +
                          string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture))));
    }

    /// <summary>Coordinator CPU seconds and wall seconds from a submit to the job's end, with the pages opened.</summary>
    private static async Task<(double Cpu, double Wall)> MeasureAsync(
        LocalCluster cluster, string spec, Func<string, Task<List<BrowserSession>>> open)
    {
        var coordinator = cluster.CoordinatorProcess();
        coordinator.Refresh();
        var cpu = coordinator.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var job = Submit(cluster, spec);
        var sessions = await open(job);
        await WaitUntilFinished(cluster, job);
        coordinator.Refresh();
        var used = (coordinator.TotalProcessorTime - cpu).TotalSeconds;
        var wall = clock.Elapsed.TotalSeconds;
        foreach (var session in sessions) await session.DisposeAsync();
        return (used, wall);
    }

    /// <summary>Requests finished and bytes transferred while <paramref name="path"/> loads and connects its stream.</summary>
    private static async Task<(int Requests, long Bytes)> WeighAsync(BrowserSession session, string path)
    {
        var finished = new List<IRequest>();
        var page = await session.Context.NewPageAsync();
        page.RequestFinished += (_, request) => { lock (finished) finished.Add(request); };
        await page.GotoAsync(new Uri(session.Origin, path).ToString());
        await page.WaitForFunctionAsync("() => document.body.dataset.live === 'open'");
        await Task.Delay(1000);
        IRequest[] requests;
        lock (finished) requests = [.. finished];
        long bytes = 0;
        foreach (var request in requests)
        {
            var sizes = await request.SizesAsync();
            bytes += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
        }
        if (session.Problems.Count > 0) Console.WriteLine($"      ({path}: {string.Join("; ", session.Problems)})");
        return (requests.Length, bytes);
    }

    private static async Task<(BrowserSession Session, IPage Page)> SignInAsync(
        LocalCluster cluster, Chromium chromium, string origin, string? job)
    {
        Uri url;
        await using (var client = cluster.Client())
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            url = await DashboardCommand.SignInUrl(client, job, cancel.Token);
        var session = await chromium.NewSessionAsync(origin);
        return (session, await session.OpenAsync(url.ToString()));
    }

    private static string Submit(LocalCluster cluster, string spec)
    {
        var submitted = cluster.Run("cli", ["submit", spec, "--json", "--yes", "-c", cluster.Coordinators]);
        if (submitted.ExitCode != 0) throw new InvalidOperationException($"submit failed: {submitted.Stderr}\n{cluster.Logs()}");
        return submitted.Json().GetProperty("jobId").GetString()!;
    }

    private static async Task<JobView> WaitUntilFinished(LocalCluster cluster, string job)
    {
        await using var client = cluster.Client();
        var giveUp = DateTime.UtcNow + JobLimit;
        while (true)
        {
            if (await client.Ask(new GetJobStatus((JobId)job)) is JobView { State: not (JobPhase.Queued or JobPhase.Running) } view)
                return view.State == JobPhase.Completed
                    ? view
                    : throw new InvalidOperationException($"{job} ended {view.State}: {view.Reason}\n{cluster.Logs()}");
            if (DateTime.UtcNow > giveUp) throw new TimeoutException($"{job} did not finish in {JobLimit}\n{cluster.Logs()}");
            await Task.Delay(1000);
        }
    }

    private static string Short(string path, string job) => path.Replace(job, "JOB");

    private static void Row(string label, List<double> values)
    {
        if (values.Count == 0)
        {
            Console.WriteLine($"{label}: none measured");
            return;
        }
        var sorted = values.Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: median {sorted[sorted.Count / 2]:F0}, min {sorted[0]:F0}, max {sorted[^1]:F0} (n = {sorted.Count})"));
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Client;
using Gensyn.Node.Cli;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Benchmarks;

/// <summary>
/// Request latency through the edge: an in-process coordinator (no chain) and its edge, one small synthetic job submitted (it stays queued:
/// no worker), then each call timed from one caller in sequence and from <c>GENSYN_BENCH_CALLERS</c> (100) concurrent callers, each its own
/// loop of <c>GENSYN_BENCH_REQUESTS</c> (20) requests: GetStatus signed by the job's owner through the CLI's <see cref="CoordinatorClient"/>
/// (EIP-712 signature per call, verified and replay-checked by the edge, answered with the full job view), GetStatus unsigned (the public
/// summary) and ListWorkers, both raw gRPC. Client and edge share this process and its cores.
/// </summary>
public static class EdgeLatencyBenchmark
{
    /// <summary>Gensyn.Tests' TestSpecs.SyntheticYaml with its defaults: a tiny MLP on a generated dataset (nothing to download).</summary>
    private const string SyntheticYaml = """
        name: synthetic-test
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 2
          shards: 2
          inner-steps: 8
          batch-size: 16
          seed: 7
          checkpoint-every: 4
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static void Run(string repositoryRoot) => RunAsync(repositoryRoot).GetAwaiter().GetResult();

    private static int Setting(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    private static async Task RunAsync(string repositoryRoot)
    {
        var callers = Setting("GENSYN_BENCH_CALLERS", 100);
        var perCaller = Setting("GENSYN_BENCH_REQUESTS", 20);
        var sequential = Setting("GENSYN_BENCH_SEQUENTIAL", 300);
        Console.WriteLine($"edge-latency: requests through the edge (gRPC over TLS, loopback), in-process coordinator (no chain) + edge, client in the same process " +
                          $"({Environment.ProcessorCount} cores; other builds and benchmarks may share the machine):");

        await using var host = await InProcessEdge.StartAsync(repositoryRoot, "edge-latency");
        await using var client = CoordinatorClient.Connect(host.Door, dataDirectory: host.Dir("cli"));
        if (await client.Ask(new SubmitJob(SyntheticYaml, host.Root), Timeout) is not JobAccepted { JobId: var jobId } )
            throw new InvalidOperationException("the synthetic job was not accepted");
        var view = await client.Ask(new GetJobStatus(jobId), Timeout) as JobView ?? throw new InvalidOperationException("no status for the job");
        Console.WriteLine($"  one synthetic job submitted ({jobId}, {view.State}, no worker); {sequential} sequential requests per call after 50 warm-up ones, " +
                          $"then {callers} concurrent callers x {perCaller} requests each");

        using var connection = EdgeConnection.Open(host.Door, host.Dir("raw"));
        var raw = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("GetStatus signed by the job's owner (CoordinatorClient: sign, call, read the JobView)", async () =>
            {
                if (await client.Ask(new GetJobStatus(jobId), Timeout) is not JobView) throw new InvalidOperationException("signed GetStatus failed");
            }),
            ("GetStatus unsigned (public summary, raw gRPC)                                       ", async () =>
            {
                if (!(await raw.GetStatusAsync(new V1.JobRequest { JobId = jobId }, deadline: DateTime.UtcNow + Timeout)).SummaryOnly)
                    throw new InvalidOperationException("an unsigned GetStatus saw the full view");
            }),
            ("ListWorkers unsigned (raw gRPC)                                                     ", async () =>
                await raw.ListWorkersAsync(new V1.ListWorkersRequest(), deadline: DateTime.UtcNow + Timeout)),
        };

        var results = new List<(string Name, Figures One, Figures Many)>();
        foreach (var (name, call) in calls)
        {
            for (var i = 0; i < 50; i++) await call();
            var one = await Load(call, 1, sequential);
            var many = await Load(call, callers, perCaller);
            results.Add((name, one, many));
        }
        Console.WriteLine($"  1 caller (sequential):");
        foreach (var (name, one, _) in results) Console.WriteLine($"     {name}: p50 {one.P50,7:F2} ms, p99 {one.P99,7:F2} ms, {one.PerSecond,7:F0} req/s");
        Console.WriteLine($"  {callers} concurrent callers:");
        foreach (var (name, _, many) in results) Console.WriteLine($"     {name}: p50 {many.P50,7:F2} ms, p99 {many.P99,7:F2} ms, {many.PerSecond,7:F0} req/s");
        var signed = results[0].Many;
        var unsigned = results[1].Many;
        Console.WriteLine($"  ratios ({callers} callers): signed/unsigned GetStatus p50 {signed.P50 / unsigned.P50:F2}, throughput {signed.PerSecond / unsigned.PerSecond:F2}");
        SigningCost();
    }

    private sealed record Figures(double P50, double P99, double PerSecond);

    /// <summary><paramref name="callers"/> concurrent loops of <paramref name="each"/> calls; latencies in ms.</summary>
    private static async Task<Figures> Load(Func<Task> call, int callers, int each)
    {
        var latencies = new double[callers][];
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loops = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            await start.Task;
            var mine = latencies[c] = new double[each];
            for (var i = 0; i < each; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await call();
                mine[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }
        })).ToList();
        var clock = Stopwatch.StartNew();
        start.SetResult();
        await Task.WhenAll(loops);
        var wall = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(x => x).Order().ToArray();
        return new Figures(Percentile(all, 0.50), Percentile(all, 0.99), all.Length / wall);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>What a signed call costs each side on its own: the client's signature, the edge's recovery of the signer.</summary>
    private static void SigningCost()
    {
        var key = WorkerKey.Generate();
        var request = new V1.JobRequest { JobId = Guid.NewGuid().ToString("N") };
        const int n = 500;
        var claims = Enumerable.Range(0, n).Select(i => RequestAuth.Claim("/gensyn.v1.RequesterEdge/GetStatus", request, 0, new string('a', 64),
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)))).ToList();
        ClaimSigner.Check(claims[0], ClaimSigner.Sign(key, claims[0]), key.Address);
        var clock = Stopwatch.StartNew();
        var signatures = claims.Select(c => ClaimSigner.Sign(key, c)).ToList();
        var sign = clock.Elapsed.TotalMilliseconds / n;
        clock.Restart();
        for (var i = 0; i < n; i++)
            if (!ClaimSigner.Check(claims[i], signatures[i], key.Address).Valid) throw new InvalidOperationException("a signature did not check");
        var check = clock.Elapsed.TotalMilliseconds / n;
        Console.WriteLine($"  attribution (one thread, no I/O): signing a request {sign:F3} ms, the edge's check (recover the signer) {check:F3} ms; " +
                          $"both sides on these cores: {1000 / (sign + check) * Environment.ProcessorCount:F0} signed req/s at most if that were all");
    }
}

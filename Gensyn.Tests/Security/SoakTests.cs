using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Tls;
using Gensyn.Edge.Wire;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Cluster;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// The edge under load while a real job runs, on real processes (a coordinator on its devnet and one worker): 200 fake workers, each with
/// its own staked key, open sessions and register at once; 1,000 submissions (without deposits) and 1,000 status calls arrive at the same
/// time. The job must end bit-identical to <c>gensyn train</c>, every call must get an answer (a documented status, never a hang), and the
/// coordinator's memory must stay bounded. Prints the peak RSS and the status latency percentiles.
/// </summary>
[Collection("cluster")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int FakeWorkers = 200, Submissions = 1_000, StatusCalls = 1_000, InFlight = 32;

    /// <summary>The coordinator's resident memory may grow by at most this much under the load.</summary>
    private const long GrowthBoundBytes = 256L << 20;

    private static readonly HashSet<StatusCode> Refusals =
        [StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.PermissionDenied, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.Unauthenticated];

    [Fact]
    public async Task Two_hundred_fake_workers_and_two_thousand_requester_calls_during_a_real_job_lose_nothing_and_keep_coordinator_memory_bounded()
    {
        using var cluster = TestCluster.Start(workers: 1);
        var spec = Path.Combine(cluster.Root, "soak.yaml");
        File.WriteAllText(spec, ClusterEndToEndTests.MnistYaml.Replace("name: mnist-e2e", "name: soak"));
        var port = int.Parse(cluster.Coordinators.Split(':')[1]);
        var coordinator = cluster.CoordinatorProcess();

        string fingerprint = "";
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(10) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            fingerprint = EdgeCertificate.Fingerprint(certificate!);
            return true;
        };
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        var requesters = new V1.RequesterEdge.RequesterEdgeClient(channel);
        var workers = new V1.WorkerEdge.WorkerEdgeClient(channel);
        var network = await requesters.GetNetworkAsync(new V1.GetNetworkRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        var chain = WorkerWire.FromWire(network.Chain);

        // The fake workers' keys are staked before the clock starts: staking is the price of an identity, not part of the load.
        var keys = Enumerable.Range(0, FakeWorkers).Select(_ => WorkerKey.Generate()).ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, _) => await ProviderStake.EnsureAsync(chain, key));

        var baseline = Rss(coordinator.Id);
        long peak = baseline;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            // A sample every 100 ms until the test stops it: a sampling period, not a wait for anything.
            using var every = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            do peak = Math.Max(peak, Rss(coordinator.Id));
            while (!stopSampling.IsCancellationRequested && await every.WaitForNextTickAsync());
        });

        var submitted = cluster.Cli("submit", spec, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        var payer = WorkerKey.Load(Path.Combine(cluster.DataDir("cli"), "wallet.key"));

        // One wave of load; run once while the job trains and once after it, when the coordinator's own work no longer moves its memory.
        async Task<(ConcurrentDictionary<string, int> Answers, List<double> StatusLatencies, List<RawSession> Sessions, double Seconds)> Load(string jobId, string wave)
        {
            var answers = new ConcurrentDictionary<string, int>();
            void Count(string what, StatusCode code) => answers.AddOrUpdate($"{what} {code}", 1, (_, n) => n + 1);
            var statusLatencies = new ConcurrentBag<double>();
            var refusals = new ConcurrentDictionary<string, byte>();
            var clock = Stopwatch.StartNew();

            // 200 sessions at once, each kept open to the end (a Welcome, or a documented refusal).
            var sessions = new ConcurrentBag<RawSession>();
            var registering = Task.WhenAll(keys.Select(async (key, i) =>
            {
                var session = await RawSession.Open(workers);
                sessions.Add(session);
                await session.Send(new V1.WorkerMessage { Hello = RawSession.Hello(key, $"soak-{i}", session.Nonce, fingerprint, session.ChainId, network: ClaimDomain.Of(chain)) });
                var answer = await session.Registration(TimeSpan.FromMinutes(2));
                Count("register", answer.BodyCase == V1.EdgeMessage.BodyOneofCase.Welcome ? StatusCode.OK : StatusCode.PermissionDenied);
                if (answer.BodyCase == V1.EdgeMessage.BodyOneofCase.Refused) refusals.TryAdd(answer.Refused.Reason, 0);
            }));

            // 1,000 submissions from 50 keys with no deposit behind them, and 1,000 status calls on the real job (half by its payer, half unsigned).
            var requesterKeys = Enumerable.Range(0, 50).Select(_ => WorkerKey.Generate()).ToList();
            var specYaml = File.ReadAllText(spec);
            // Interleaved: submission i is call -1 - i, status call j is call j.
            var calls = Enumerable.Range(0, Math.Max(Submissions, StatusCalls))
                .SelectMany(i => new[] { i < Submissions ? -1 - i : (int?)null, i < StatusCalls ? i : null }).OfType<int>().ToList();
            var requesting = Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (call, _) =>
            {
                var deadline = DateTime.UtcNow.AddMinutes(2);
                if (call < 0)
                {
                    var key = requesterKeys[(-1 - call) % requesterKeys.Count];
                    var request = new V1.SubmitRequest { SpecYaml = specYaml, JobId = $"soak-{wave}-{-1 - call}" };
                    var method = $"/{V1.RequesterEdge.Descriptor.FullName}/Submit";
                    try
                    {
                        await requesters.SubmitAsync(request, RequestAuth.Sign(key, method, request, network.SigningChainId, fingerprint), deadline);
                        Count("submit", StatusCode.OK);
                    }
                    catch (RpcException e)
                    {
                        Count("submit", e.StatusCode);
                    }
                    return;
                }
                var status = new V1.JobRequest { JobId = jobId };
                var signed = call % 2 == 0;
                var watch = Stopwatch.StartNew();
                try
                {
                    var headers = signed ? RequestAuth.Sign(payer, $"/{V1.RequesterEdge.Descriptor.FullName}/GetStatus", status, network.SigningChainId, fingerprint) : null;
                    var reply = await requesters.GetStatusAsync(status, headers, deadline);
                    statusLatencies.Add(watch.Elapsed.TotalMilliseconds);
                    Count("status", reply.SummaryOnly == !signed ? StatusCode.OK : StatusCode.Internal);
                }
                catch (RpcException e)
                {
                    Count("status", e.StatusCode);
                }
            });
            await Task.WhenAll(registering, requesting);
            Assert.True(refusals.IsEmpty, $"staked fake workers were refused: {string.Join("; ", refusals.Keys)}");
            return (answers, statusLatencies.ToList(), sessions.ToList(), clock.Elapsed.TotalSeconds);
        }
        var during = await Load(jobId, "during");

        // The job ends as if nothing had happened, and matches gensyn train bit for bit.
        var final = await cluster.AwaitConditionAsync(() =>
        {
            var s = cluster.Cli("status", jobId, "--json");
            var ended = s.ExitCode == 0 && JsonDocument.Parse(s.Stdout).RootElement.GetProperty("state").GetString() is "completed" or "failed" or "cancelled";
            return Task.FromResult(ended ? s.Stdout : null);
        }, TimeSpan.FromMinutes(8), $"job {jobId} to finish");
        var view = JsonDocument.Parse(final).RootElement;
        foreach (var session in during.Sessions) await session.DisposeAsync();
        Assert.True(view.GetProperty("state").GetString() == "completed", final + cluster.Logs());
        var local = GensynProcess.Run(cluster.DataDir("local"), "train", spec, "--json");
        Assert.True(local.ExitCode == 0, local.Stderr);
        Assert.Equal(JsonDocument.Parse(local.Stdout).RootElement.GetProperty("finalDigest").GetString(), view.GetProperty("finalDigest").GetString());
        var peakDuring = Math.Max(peak, HighWater(coordinator.Id));

        // The second wave, on the finished job: the coordinator's own work is done, so what its memory does now is the load's doing.
        var settled = Rss(coordinator.Id);
        peak = settled;
        var after = await Load(jobId, "after");
        foreach (var session in after.Sessions) await session.DisposeAsync();
        await stopSampling.CancelAsync();
        await sampler;
        var peakAfter = peak;

        foreach (var (wave, load) in new[] { ("during the job", during), ("after the job", after) })
        {
            var sorted = load.StatusLatencies.Order().ToList();
            double Percentile(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
            var line = $"soak {wave}: {FakeWorkers} fake workers, {Submissions} submissions and {StatusCalls} status calls in {load.Seconds:0.0} s " +
                       $"({InFlight} requester calls in flight); status p50 {Percentile(0.5):0.0} ms, p99 {Percentile(0.99):0.0} ms; " +
                       string.Join(", ", load.Answers.OrderBy(a => a.Key).Select(a => $"{a.Key} {a.Value}"));
            output.WriteLine(line);
            Console.WriteLine(line);

            // Nothing lost: every call got an answer, and each one a documented one.
            Assert.Equal(FakeWorkers, load.Answers.Where(a => a.Key.StartsWith("register ")).Sum(a => a.Value));
            Assert.Equal(Submissions, load.Answers.Where(a => a.Key.StartsWith("submit ")).Sum(a => a.Value));
            Assert.Equal(StatusCalls, load.Answers.Where(a => a.Key.StartsWith("status ")).Sum(a => a.Value));
            Assert.All(load.Answers.Where(a => !a.Key.EndsWith(" OK")), a => Assert.True(Refusals.Contains(Enum.Parse<StatusCode>(a.Key.Split(' ')[1])), $"{a.Key}: not a documented answer"));
            Assert.False(load.Answers.ContainsKey("submit OK"), "a submission without a deposit was accepted");
        }
        var memory = $"coordinator RSS: {baseline >> 20} MiB idle, peak {peakDuring >> 20} MiB while the job trained under load, " +
                     $"{settled >> 20} MiB after it, peak {peakAfter >> 20} MiB under the second wave";
        output.WriteLine(memory);
        Console.WriteLine("soak " + memory);
        Assert.True(peakAfter - settled < GrowthBoundBytes, $"the coordinator grew from {settled >> 20} MiB to {peakAfter >> 20} MiB under a wave of load: {memory}");
    }

    private static long Rss(int pid) => ProcStatus(pid, "VmRSS:");
    private static long HighWater(int pid) => ProcStatus(pid, "VmHWM:");

    private static long ProcStatus(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

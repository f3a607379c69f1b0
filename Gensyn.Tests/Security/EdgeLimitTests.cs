using System.Globalization;
using System.Security.Cryptography;
using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Wire;
using Gensyn.Edge.Workers;
using Gensyn.Node.Cli;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// An edge with low limits per caller key (the rest of cluster.hocon as shipped): 5 calls a minute of Quote, ListJobs and ProbeBandwidth
/// (and 5 scrapes of /metrics),
/// 2 open streams of a kind per key, an 8 MiB blob quota, 16 MiB uploads at most, 20 nonces per key, and blobs kept 10 s after their
/// last use, partial uploads 3 s after their last byte.
/// </summary>
public sealed class LimitedEdgeFixture : EdgeFixture
{
    public const int LimitedCallsPerMinute = 5;
    public const int StreamsPerKey = 2;
    public const long QuotaBytes = 8 << 20;
    public const long MaxUploadBytes = 16 << 20;
    public const int NoncesPerKey = 20;
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(10);

    protected override string Settings => $$"""
        gensyn.edge.limits {
          method-calls-per-minute { Quote = {{LimitedCallsPerMinute}}, ListJobs = {{LimitedCallsPerMinute}}, ProbeBandwidth = {{LimitedCallsPerMinute}} }
          method-calls-per-minute.Metrics = {{LimitedCallsPerMinute}}
          method-calls-per-minute.Dashboard = {{LimitedCallsPerMinute}}
          streams-per-key = {{StreamsPerKey}}
          blob-quota = {{QuotaBytes}}
          max-upload = {{MaxUploadBytes}}
          nonces-per-key = {{NoncesPerKey}}
        }
        gensyn.blobs { retention = {{Retention.TotalSeconds}}s, partial-idle-timeout = 3s, sweep-interval = 250ms, first-sweep-after = 0s }
        """;
}

/// <summary>
/// Red-team tests of the limits per caller key at the edge (docs/operations/security.md, "Limits at the edge"): each floods or overfills one thing a
/// stranger may send and checks that it is refused, with ResourceExhausted and a retry-after where waiting helps, while other keys and the
/// running jobs are unaffected.
/// </summary>
[Collection("cluster")]
public class EdgeLimitTests(LimitedEdgeFixture edge) : IClassFixture<LimitedEdgeFixture>
{
    private static DateTime Soon => DateTime.UtcNow + TimeSpan.FromSeconds(30);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(90);

    // ---- Rate limits per method and key

    [Fact]
    public async Task Flooding_an_unsigned_method_from_one_address_gets_ResourceExhausted_with_a_retry_after_while_other_methods_still_answer()
    {
        var request = new V1.SpecRequest { SpecYaml = TestSpecs.SyntheticYaml(), BaseDirectory = edge.Root.Path };
        var refusal = await FloodUntilRefused(() => edge.Requesters.QuoteAsync(request, deadline: Soon).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.True(RetryAfterMs(refusal) > 0, $"no {EdgeLimiter.RetryAfterTrailer} trailer: {refusal.Trailers}");
        Assert.Contains("rate-limiting", refusal.Status.Detail);

        Assert.Contains((await edge.ListWorkers()).Workers, w => w.WorkerId == EdgeFixture.HonestId);
    }

    [Fact]
    public async Task Flooding_bandwidth_probes_gets_ResourceExhausted_with_a_retry_after()
    {
        // Small probes: calls that stream slowly on a loaded machine would let the per-minute allowance refill.
        var refusal = await FloodUntilRefused(async () =>
        {
            using var probe = edge.Workers.ProbeBandwidth(new V1.ProbeRequest { Bytes = 1 << 10 }, deadline: Soon);
            while (await probe.ResponseStream.MoveNext(CancellationToken.None)) { }
        });
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.True(RetryAfterMs(refusal) > 0);
    }

    [Fact]
    public async Task Flooding_metrics_from_one_address_gets_429_with_a_retry_after_while_gRPC_calls_still_answer()
    {
        using var scraper = new Gensyn.Tests.Metrics.MetricsScraper(edge.Edge);
        System.Net.Http.HttpResponseMessage? refused = null;
        // At most a minute's worth of scrapes gets through.
        for (var i = 0; i <= LimitedEdgeFixture.LimitedCallsPerMinute && refused is null; i++)
        {
            var response = await scraper.Http.GetAsync(Gensyn.Edge.Metrics.EdgeMetrics.Path);
            if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests) refused = response;
            else Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        Assert.True(refused is not null, $"{LimitedEdgeFixture.LimitedCallsPerMinute + 1} scrapes in a row were not rate-limited");
        Assert.InRange(refused.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        Assert.Contains("rate-limiting", await refused.Content.ReadAsStringAsync());

        Assert.Contains((await edge.ListWorkers()).Workers, w => w.WorkerId == EdgeFixture.HonestId);
    }

    [Fact]
    public async Task Flooding_the_dashboard_from_one_address_gets_429_with_a_retry_after_while_gRPC_calls_still_answer()
    {
        using var browser = new System.Net.Http.HttpClient(new System.Net.Http.SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { BaseAddress = new Uri($"https://{edge.Door}/") };
        System.Net.Http.HttpResponseMessage? refused = null;
        for (var i = 0; i <= LimitedEdgeFixture.LimitedCallsPerMinute && refused is null; i++)
        {
            var response = await browser.GetAsync(i % 2 == 0 ? "" : "api/network");
            if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests) refused = response;
            else Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        Assert.True(refused is not null, $"{LimitedEdgeFixture.LimitedCallsPerMinute + 1} dashboard requests in a row were not rate-limited");
        Assert.InRange(refused.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        Assert.Contains("rate-limiting", await refused.Content.ReadAsStringAsync());
        Assert.Contains((await edge.ListWorkers()).Workers, w => w.WorkerId == EdgeFixture.HonestId);
    }

    [Fact]
    public async Task Flooding_a_signed_method_is_limited_per_signing_key_and_another_key_still_gets_answers()
    {
        var flooder = WorkerKey.Generate();
        var list = new V1.ListJobsRequest();
        for (var i = 0; i < LimitedEdgeFixture.LimitedCallsPerMinute; i++)
            await edge.Requesters.ListJobsAsync(list, edge.Sign(flooder, "ListJobs", list), Soon);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.ListJobsAsync(list, edge.Sign(flooder, "ListJobs", list), Soon).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.InRange(RetryAfterMs(refusal), 1, 60_000);
        Assert.Contains(flooder.Address, refusal.Status.Detail);

        var other = EdgeJson.Read<JobList>((await edge.Requesters.ListJobsAsync(list, edge.Sign(edge.Stranger, "ListJobs", list), Soon)).Json);
        Assert.Empty(other.Jobs);
    }

    [Fact]
    public async Task The_CLI_turns_a_rate_limit_into_one_line_that_says_when_to_retry()
    {
        await using var client = CoordinatorClient.Connect(edge.Door, dataDirectory: edge.Root.File("cli"));
        CoordinatorRateLimitedException? limited = null;
        for (var i = 0; i <= LimitedEdgeFixture.LimitedCallsPerMinute && limited is null; i++)
        {
            try
            {
                await client.Ask(new QuoteJob(TestSpecs.SyntheticYaml(), edge.Root.Path), TimeSpan.FromSeconds(30));
            }
            catch (CoordinatorRateLimitedException e)
            {
                limited = e;
            }
        }
        Assert.NotNull(limited);
        Assert.Matches(@"^the coordinator is rate-limiting this key; retry in \d+ s$", limited.Message);
        Assert.True(limited.RetryAfter > TimeSpan.Zero);
        Assert.NotEqual(ExitCodes.Failure, ExitCodes.RateLimited);
        Assert.NotEqual(ExitCodes.InvalidInput, ExitCodes.RateLimited);
    }

    // ---- The nonce replay cache is bounded per key

    [Fact]
    public async Task One_keys_nonce_flood_fills_only_its_own_window_and_another_keys_nonces_are_still_remembered()
    {
        var victim = WorkerKey.Generate();
        var flooder = WorkerKey.Generate();
        var status = new V1.JobRequest { JobId = edge.SharedJobId };
        var victimsCall = edge.Sign(victim, "GetStatus", status);
        await edge.Requesters.GetStatusAsync(status, victimsCall, Soon);

        for (var i = 0; i < LimitedEdgeFixture.NoncesPerKey; i++)
            await edge.Requesters.GetStatusAsync(status, edge.Sign(flooder, "GetStatus", status), Soon);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.GetStatusAsync(status, edge.Sign(flooder, "GetStatus", status), Soon).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.True(RetryAfterMs(refusal) > 0);
        Assert.Equal(LimitedEdgeFixture.NoncesPerKey, edge.Edge.Context.Verifier.Remembered(flooder.Address));

        // The victim's old nonce was not pushed out: its replay is still refused, and its fresh calls are answered.
        var replay = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.GetStatusAsync(status, victimsCall, Soon).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Contains("replay", replay.Status.Detail);
        await edge.Requesters.GetStatusAsync(status, edge.Sign(victim, "GetStatus", status), Soon);
    }

    // ---- Streams, sizes and quotas of blob uploads

    [Fact]
    public async Task A_key_may_hold_only_its_cap_of_open_sessions_and_another_key_still_connects()
    {
        var key = WorkerKey.Generate();
        var open = new List<RawSession>();
        try
        {
            for (var i = 0; i < LimitedEdgeFixture.StreamsPerKey; i++) open.Add((await edge.Welcomed(key, $"hoarded-session-{i}")).Session);
            await using var extra = await edge.Hello(key, "hoarded-session-extra");
            var ended = await extra.EndedWith(TimeSpan.FromSeconds(30));
            Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
            Assert.Contains("open Session streams", ended.Detail);
            Assert.DoesNotContain((await edge.ListWorkers()).Workers, w => w.WorkerId == "hoarded-session-extra");

            var (other, _) = await edge.Welcomed(WorkerKey.Generate(), "neighbour-session");
            await other.DisposeAsync();
        }
        finally
        {
            foreach (var session in open) await session.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_upload_that_sends_more_than_it_declared_or_declares_more_than_the_cap_is_refused_and_stores_nothing()
    {
        var (session, token) = await Uploader(WorkerKey.Generate(), "oversender");
        await using var _ = session;

        var bytes = RandomNumberGenerator.GetBytes(2000);
        var hash = Sha256Digest.Of(bytes);
        var call = StartUpload(token, hash, 1000);
        var refusal = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            try
            {
                await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes) });
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
            }
            await call.ResponseAsync;
        });
        call.Dispose();
        Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);
        Assert.Contains("more than the announced", refusal.Status.Detail);
        Assert.False(edge.Edge.Context.Store.Contains(hash));

        var huge = StartUpload(token, Sha256Digest.Of([1]), LimitedEdgeFixture.MaxUploadBytes + 1);
        var tooBig = await Assert.ThrowsAsync<RpcException>(() => huge.ResponseAsync);
        huge.Dispose();
        Assert.Equal(StatusCode.InvalidArgument, tooBig.StatusCode);
        Assert.False(File.Exists(BlobStreams.PartialPath(edge.Edge.Context.Store, Sha256Digest.Of([1]))));
    }

    [Fact]
    public async Task Uploads_past_a_keys_blob_quota_are_refused_before_a_byte_is_written_and_other_keys_keep_their_own_quota()
    {
        var key = WorkerKey.Generate();
        var (session, token) = await Uploader(key, "hoarder");
        await using var _ = session;

        var announced = Sha256Digest.Of(RandomNumberGenerator.GetBytes(32));
        var upfront = StartUpload(token, announced, LimitedEdgeFixture.QuotaBytes + 1);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => upfront.ResponseAsync);
        upfront.Dispose();
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.Contains("blob quota", refusal.Status.Detail);
        Assert.Equal(0, BlobStreams.Received(edge.Edge.Context.Store, announced));

        // Stored bytes count: 5 MiB held, 4 MiB more would pass 8 MiB.
        await Upload(token, RandomNumberGenerator.GetBytes(5 << 20));
        Assert.Equal(5 << 20, edge.Edge.Context.Uploads.Used(key.Address));
        var more = await Assert.ThrowsAsync<RpcException>(() => Upload(token, RandomNumberGenerator.GetBytes(4 << 20)));
        Assert.Equal(StatusCode.ResourceExhausted, more.StatusCode);

        var (otherSession, otherToken) = await Uploader(WorkerKey.Generate(), "neighbour");
        await using var __ = otherSession;
        await Upload(otherToken, RandomNumberGenerator.GetBytes(4 << 20));
    }

    [Fact]
    public async Task A_partial_upload_that_goes_quiet_is_cut_off_and_its_file_deleted_and_its_bytes_no_longer_count()
    {
        var key = WorkerKey.Generate();
        var (session, token) = await Uploader(key, "stalled-uploader");
        await using var _ = session;
        var hash = Sha256Digest.Of(RandomNumberGenerator.GetBytes(32));
        using var call = StartUpload(token, hash, 1 << 20);
        await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(new byte[64 * 1024]) });
        await Eventually(() => BlobStreams.Received(edge.Edge.Context.Store, hash) == 64 * 1024, "the upload to start");
        Assert.Equal(1 << 20, edge.Edge.Context.Uploads.Used(key.Address));

        // It sends nothing more: the edge ends the stream, and the sweep deletes the partial file.
        var cut = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(GiveUpAfter));
        Assert.Equal(StatusCode.DeadlineExceeded, cut.StatusCode);
        var partial = BlobStreams.PartialPath(edge.Edge.Context.Store, hash);
        await Eventually(() => !File.Exists(partial), "the stale partial upload to be deleted");
        Assert.Equal(0, edge.Edge.Context.Uploads.Used(key.Address));
    }

    // ---- Blob garbage collection

    [Fact]
    public async Task An_unreferenced_blob_is_collected_after_the_retention_period_while_a_running_jobs_blobs_survive_until_it_ends()
    {
        var store = edge.Edge.Context.Store;
        // Priced below every worker: the job prepares its first round and then waits, holding its start states. Its own seed gives it
        // blobs no other job of the class holds (blobs are content-addressed): another job's pin or read would keep them.
        var owner = WorkerKey.Generate();
        var spec = TestSpecs.SyntheticYaml(rounds: 1, shards: 2, seed: 9301) + "\nbudget: { max-price-per-hour: 0.01, max-total: 1000 }\n";
        var job = await edge.Submit(owner, spec);
        await Eventually(() => store.PinnedBy(job).Count > 0 && store.PinnedBy(job).All(store.Contains), "the waiting job to pin its start states");
        var pinned = store.PinnedBy(job).ToList();

        var (session, token) = await Uploader(WorkerKey.Generate(), "stray-uploader");
        await using var _ = session;
        var stray = RandomNumberGenerator.GetBytes(4096);
        await Upload(token, stray);
        Assert.True(store.Contains(Sha256Digest.Of(stray)));

        await Eventually(() => !store.Contains(Sha256Digest.Of(stray)), "the unreferenced blob to be collected");
        Assert.All(pinned, hash => Assert.True(store.Contains(hash), $"the running job's blob {hash} was collected"));
        Assert.Contains(pinned, hash => DateTime.UtcNow - File.GetLastWriteTimeUtc(store.PathOf(hash)) > LimitedEdgeFixture.Retention);

        // Once the job ends nothing pins them: they age out like any other blob, and the journal keeps their hashes.
        var cancel = new V1.CancelRequest { JobId = job, Reason = "test over" };
        await edge.Requesters.CancelAsync(cancel, edge.Sign(owner, "Cancel", cancel), Soon);
        await Eventually(() => pinned.All(hash => !store.Contains(hash)), "the cancelled job's blobs to be collected");
    }

    // ---- Listing jobs a page at a time

    [Fact]
    public async Task Jobs_are_listed_a_page_at_a_time_so_a_call_wakes_and_returns_only_one_page()
    {
        var owner = WorkerKey.Generate();
        var mine = new[] { await edge.Submit(owner, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4)), await edge.Submit(owner, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4)) };

        var found = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await edge.Coordinator.Gateway.Ask<JobList>(new ListJobs(owner.Address, token, PageSize: 1), TimeSpan.FromSeconds(30));
            Assert.True(page.Jobs.Count <= 1, $"a page of 1 held {page.Jobs.Count} jobs");
            found.AddRange(page.Jobs.Select(j => j.JobId));
            token = page.NextPageToken;
            pages++;
        } while (token is not null && pages < 1000);
        Assert.Equal(mine.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.True(pages >= 3, "the catalog holds the shared job as well, so paging by one takes at least three pages");

        var first = new V1.ListJobsRequest { PageSize = 1 };
        var reply = EdgeJson.Read<JobList>((await edge.Requesters.ListJobsAsync(first, edge.Sign(owner, "ListJobs", first), Soon)).Json);
        Assert.NotNull(reply.NextPageToken);
    }

    // ---- Helpers

    private static async Task<RpcException> FloodUntilRefused(Func<Task> call)
    {
        // At most a minute's worth gets through (some may already have been spent by other calls from this address).
        for (var i = 0; i <= LimitedEdgeFixture.LimitedCallsPerMinute; i++)
        {
            try
            {
                await call();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return e;
            }
            catch (RpcException)
            {
                // Refused for another reason (counted all the same).
            }
        }
        throw new Xunit.Sdk.XunitException($"{LimitedEdgeFixture.LimitedCallsPerMinute + 1} calls in a row were not rate-limited");
    }

    private static long RetryAfterMs(RpcException e) =>
        long.TryParse(e.Trailers.GetValue(EdgeLimiter.RetryAfterTrailer), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0;

    /// <summary>A welcomed worker session whose grant may upload, as one that holds an assignment (the job's store is the edge's own).</summary>
    private async Task<(RawSession Session, string Token)> Uploader(WorkerKey key, string workerId)
    {
        var (session, token) = await edge.Welcomed(key, workerId);
        edge.Edge.Context.Sessions[token].AllowUpload(edge.Coordinator.System.DeadLetters);
        return (session, token);
    }

    private AsyncClientStreamingCall<V1.BlobChunk, V1.UploadBlobReply> StartUpload(string token, Sha256Digest hash, long size) =>
        edge.Workers.UploadBlob(new Metadata
        {
            { WorkerEdgeService.SessionHeader, token },
            { WorkerEdgeService.BlobHashHeader, hash.ToString() },
            { WorkerEdgeService.BlobSizeHeader, size.ToString(CultureInfo.InvariantCulture) },
            { WorkerEdgeService.BlobOffsetHeader, "0" },
        }, Soon);

    private async Task Upload(string token, byte[] bytes)
    {
        using var call = StartUpload(token, Sha256Digest.Of(bytes), bytes.Length);
        try
        {
            for (var at = 0; at < bytes.Length; at += BlobStreams.ChunkBytes)
                await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes, at, Math.Min(BlobStreams.ChunkBytes, bytes.Length - at)) });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The edge answered before it took all the bytes: its answer says why.
        }
        await call.ResponseAsync;
    }

    private static Task Eventually(Func<bool> condition, string what) => Poll.Until(condition, GiveUpAfter, what);
}

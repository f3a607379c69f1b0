using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Wire;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = Gensyn.Edge.V1;

using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// Red-team tests against a live coordinator's edge: each plays an attacker with a raw gRPC channel, writing whatever the protocol lets
/// them write, and checks that the attack is refused. One coordinator, edge and honest worker serve the whole class (<see cref="EdgeFixture"/>).
/// </summary>
[Collection("cluster")]
public partial class EdgeAttackTests(EdgeFixture edge) : IClassFixture<EdgeFixture>
{
    private static DateTime Soon => DateTime.UtcNow + TimeSpan.FromSeconds(30);

    private static async Task<StatusCode> Refusal(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

    // ---- C3: requesters act only on their own jobs

    [Fact]
    public async Task A_requester_who_is_not_the_payer_may_not_cancel_read_the_log_or_download_the_result_and_sees_only_the_public_summary()
    {
        var job = await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4));

        // While the job is queued or running: before the edge, anyone's CancelJob cancelled it.
        var cancel = new V1.CancelRequest { JobId = job, Reason = "cancelled by a stranger" };
        Assert.Equal(StatusCode.PermissionDenied, await Refusal(() => edge.Requesters.CancelAsync(cancel, edge.Sign(edge.Stranger, "Cancel", cancel), Soon).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => edge.Requesters.CancelAsync(cancel, deadline: Soon).ResponseAsync));

        var view = await edge.Completed(job);
        Assert.DoesNotContain(edge.JobEvents(job), e => e.Type == "JobCancelled");

        var log = new V1.LogRequest { JobId = job };
        Assert.Equal(StatusCode.PermissionDenied, await Refusal(() => edge.Requesters.GetLogAsync(log, edge.Sign(edge.Stranger, "GetLog", log), Soon).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => edge.Requesters.GetLogAsync(log, deadline: Soon).ResponseAsync));

        var result = new V1.ResultRequest { JobId = job };
        Assert.Equal(StatusCode.PermissionDenied, await Refusal(async () =>
        {
            using var download = edge.Requesters.DownloadResult(result, edge.Sign(edge.Stranger, "DownloadResult", result), Soon);
            while (await download.ResponseStream.MoveNext(CancellationToken.None)) { }
        }));
        // The payer may (the control: the refusal above is about who asks, not about the result).
        using (var download = edge.Requesters.DownloadResult(result, edge.Sign(edge.Payer, "DownloadResult", result), Soon))
        {
            long bytes = 0;
            while (await download.ResponseStream.MoveNext(CancellationToken.None)) bytes += download.ResponseStream.Current.Data.Length;
            Assert.True(bytes > 0);
        }

        // The stranger, signed or not, sees the public summary only: no name, workers, shards, rounds, money, reasons or owner.
        var status = new V1.JobRequest { JobId = job };
        foreach (var headers in new[] { edge.Sign(edge.Stranger, "GetStatus", status), null })
        {
            var reply = await edge.Requesters.GetStatusAsync(status, headers, Soon);
            Assert.True(reply.SummaryOnly);
            using var json = JsonDocument.Parse(reply.Json);
            var summary = json.RootElement;
            Assert.Equal("completed", summary.GetProperty("state").GetString());
            Assert.Equal("", summary.GetProperty("name").GetString());
            Assert.Equal(0, summary.GetProperty("shards").GetArrayLength());
            Assert.Equal(0, summary.GetProperty("roundHistory").GetArrayLength());
            foreach (var hidden in new[] { "money", "owner", "verdicts", "reason", "finalDigest", "price" })
                Assert.Equal(JsonValueKind.Null, summary.GetProperty(hidden).ValueKind);
        }
        Assert.Equal(edge.Payer.Address, view.Owner, ignoreCase: true);
        Assert.NotEmpty(view.RoundHistory);

        var list = new V1.ListJobsRequest();
        var theirs = EdgeJson.Read<JobList>((await edge.Requesters.ListJobsAsync(list, edge.Sign(edge.Stranger, "ListJobs", list), Soon)).Json);
        Assert.DoesNotContain(theirs.Jobs, j => j.JobId == job);
        var mine = EdgeJson.Read<JobList>((await edge.Requesters.ListJobsAsync(list, edge.Sign(edge.Payer, "ListJobs", list), Soon)).Json);
        Assert.Contains(mine.Jobs, j => j.JobId == job);
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => edge.Requesters.ListJobsAsync(list, deadline: Soon).ResponseAsync));
    }

    [Fact]
    public async Task A_requester_who_is_not_the_payer_may_not_audit_the_job()
    {
        var job = await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4));
        await edge.Completed(job);

        var audit = new V1.AuditRequest { JobId = job };
        var stranger = edge.Sign(edge.Stranger, "Audit", audit);
        Assert.Equal(StatusCode.PermissionDenied,
            await Refusal(() => edge.Requesters.AuditAsync(audit, stranger, Soon).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated,
            await Refusal(() => edge.Requesters.AuditAsync(audit, deadline: Soon).ResponseAsync));

        // The payer may (the control: the refusal is about who asks); no contributing key was convicted, so
        // nothing is replayed.
        var report = await edge.Requesters.AuditAsync(audit, edge.Sign(edge.Payer, "Audit", audit), Soon);
        Assert.Equal(job, report.JobId);
        Assert.Empty(report.Keys);
        Assert.Equal(0, report.Revoked);
    }

    // ---- C2: StartJob and SettlementSettled reach no job

    [Fact]
    public async Task A_StartJob_or_SettlementSettled_told_to_the_coordinators_gateway_starts_or_settles_no_job()
    {
        var gateway = edge.Coordinator.Gateway;
        var forged = JobsGateway.NewJobId();
        var attacker = WorkerKey.Generate().Address;
        gateway.Tell(new StartJob(forged, TestSpecs.SyntheticYaml(rounds: 1, shards: 1), edge.Root.Path, Payer: attacker, DepositMicros: 1_000_000_000,
            Price: new JobPrice(0.5, 640, "forged", ResultPayoutMicros: 1_000_000_000), Owner: attacker));
        gateway.Tell(new SettlementSettled((JobId)edge.SharedJobId, "settlement-forged", SettlementKind.Complete, SettlementStatus.Confirmed, "0xabc", 21_000,
            1_000_000, "forged settlement", DateTimeOffset.UtcNow));

        // Messages from one sender arrive in order: had the gateway passed StartJob on, the job would exist by the time this is answered.
        Assert.IsType<UnknownJob>(await gateway.Ask<IGensynMessage>(new GetJobStatus(forged), TimeSpan.FromSeconds(30)));
        var jobs = await gateway.Ask<JobList>(new ListJobs(), TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(jobs.Jobs, j => j.JobId == forged);
        Assert.Contains(jobs.Jobs, j => j.JobId == edge.SharedJobId);
        var status = new V1.JobRequest { JobId = forged };
        Assert.Equal(StatusCode.NotFound, await Refusal(() => edge.Requesters.GetStatusAsync(status, deadline: Soon).ResponseAsync));
        Assert.DoesNotContain(edge.JobEvents(edge.SharedJobId).OfKind("SettlementPosted"),
            e => e.Data.GetProperty("outcome").GetProperty("settlementId").GetString() == "settlement-forged");
    }

    // ---- H6: TLS only

    [Fact]
    public async Task A_plaintext_client_gets_no_answer_from_the_edge()
    {
        // The control: the same call over TLS is answered.
        Assert.NotNull(await edge.Requesters.GetNetworkAsync(new V1.GetNetworkRequest(), deadline: Soon));

        using (var plaintext = GrpcChannel.ForAddress($"http://127.0.0.1:{edge.Edge.Port}"))
        {
            var client = new V1.RequesterEdge.RequesterEdgeClient(plaintext);
            var refused = await Assert.ThrowsAsync<RpcException>(() =>
                client.GetNetworkAsync(new V1.GetNetworkRequest(), deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10)).ResponseAsync);
            Assert.NotEqual(StatusCode.OK, refused.StatusCode);
        }

        // Raw bytes: the HTTP/2 connection preface and an empty SETTINGS frame, as an h2c client opens.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", edge.Edge.Port);
        var stream = tcp.GetStream();
        byte[] preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0];
        await stream.WriteAsync(preface);
        var answer = new byte[64];
        var read = 0;
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                while (read < 9)
                {
                    var n = await stream.ReadAsync(answer.AsMemory(read), wait.Token);
                    if (n == 0) break;
                    read += n;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // No answer, or the connection was reset: either way, nothing HTTP/2.
            }
        }
        // An HTTP/2 server's first frame is SETTINGS (type 4 in the fifth byte of its 9-byte header); a TLS server sends at most an alert record.
        Assert.False(read >= 9 && answer[3] == 4 && answer[4] is 0 or 1, $"the edge answered plaintext with an HTTP/2 frame: {Convert.ToHexString(answer, 0, read)}");
        Assert.True(read == 0 || answer[0] is 0x15 or 0x16, $"the edge answered plaintext with {Convert.ToHexString(answer, 0, read)}");
    }

    // ---- Replays and bound signatures

    [Fact]
    public async Task A_signed_request_replayed_with_identical_headers_is_refused_as_already_received()
    {
        var cancel = new V1.CancelRequest { JobId = "job-00000000", Reason = "replayed" };
        var headers = edge.Sign(edge.Payer, "Cancel", cancel);
        // The first one is authenticated (the job does not exist); the same bytes again are not.
        Assert.Equal(StatusCode.NotFound, await Refusal(() => edge.Requesters.CancelAsync(cancel, headers, Soon).ResponseAsync));
        var replay = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.CancelAsync(cancel, headers, Soon).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Contains("already received", replay.Status.Detail);

        var log = new V1.LogRequest { JobId = edge.SharedJobId };
        var logHeaders = edge.Sign(edge.Payer, "GetLog", log);
        await edge.Requesters.GetLogAsync(log, logHeaders, Soon);
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => edge.Requesters.GetLogAsync(log, logHeaders, Soon).ResponseAsync));
    }

    /// <summary>Headers for a request signed with chosen time, chain id and fingerprint (what a replayer or a relay could hold).</summary>
    private static Metadata SignedAs(WorkerKey key, string method, IMessage request, long unixMs, int chainId, string fingerprint)
    {
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signature = ClaimSigner.Sign(key, RequestAuth.Claim(EdgeFixture.Method(method), request, chainId, fingerprint, unixMs, nonce));
        return new Metadata
        {
            { RequestAuth.AddressHeader, key.Address },
            { RequestAuth.TimeHeader, unixMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            { RequestAuth.NonceHeader, nonce },
            { RequestAuth.SignatureHeader, signature },
        };
    }

    [Fact]
    public async Task A_request_ten_minutes_old_or_signed_for_another_edge_chain_method_or_body_is_refused()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var list = new V1.ListJobsRequest();
        // The control: signed right, it is answered.
        await edge.Requesters.ListJobsAsync(list, SignedAs(edge.Payer, "ListJobs", list, now, 0, edge.Edge.Fingerprint), Soon);

        var old = now - (long)TimeSpan.FromMinutes(10).TotalMilliseconds;
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() =>
            edge.Requesters.ListJobsAsync(list, SignedAs(edge.Payer, "ListJobs", list, old, 0, edge.Edge.Fingerprint), Soon).ResponseAsync));
        var otherEdge = Convert.ToHexStringLower(SHA256.HashData("another edge's certificate"u8));
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() =>
            edge.Requesters.ListJobsAsync(list, SignedAs(edge.Payer, "ListJobs", list, now, 0, otherEdge), Soon).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() =>
            edge.Requesters.ListJobsAsync(list, SignedAs(edge.Payer, "ListJobs", list, now, 31337, edge.Edge.Fingerprint), Soon).ResponseAsync));

        // A signature over one call's body does not carry over to another method or another body.
        var status = new V1.JobRequest { JobId = edge.SharedJobId };
        var statusHeaders = SignedAs(edge.Payer, "GetStatus", status, now, 0, edge.Edge.Fingerprint);
        var asLog = new V1.LogRequest { JobId = edge.SharedJobId };
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => edge.Requesters.GetLogAsync(asLog, statusHeaders, Soon).ResponseAsync));
        var cancelOne = new V1.CancelRequest { JobId = "job-00000001" };
        var cancelOther = new V1.CancelRequest { JobId = edge.SharedJobId };
        Assert.Equal(StatusCode.Unauthenticated, await Refusal(() =>
            edge.Requesters.CancelAsync(cancelOther, SignedAs(edge.Payer, "Cancel", cancelOne, now, 0, edge.Edge.Fingerprint), Soon).ResponseAsync));
        Assert.NotEqual(JobPhase.Cancelled, (await edge.Status(edge.SharedJobId)).State);
    }
}

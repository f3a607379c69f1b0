using Akka.Actor;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Wire;
using Gensyn.Edge.Workers;
using Grpc.Core;
using Status = Grpc.Core.Status;
using Microsoft.Extensions.Logging;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Requesters;

/// <summary>
/// The requesters' door. Each call becomes exactly one of the requester's own messages to the jobs gateway (submit, quote, status, log,
/// cancel, result, lists) — nothing a client sends can become a verdict, a grant, a StartJob or a settlement order. Calls that touch a
/// job are signed by the caller's wallet; only the job's owner (the key that submitted it: its payer) may cancel it, read its log and
/// full status, or download its result. Anyone may quote, list workers, read the market and a job's public summary.
/// </summary>
public sealed partial class RequesterEdgeService(EdgeContext edge, ILogger<RequesterEdgeService> log) : V1.RequesterEdge.RequesterEdgeBase
{
    public const string BlobHashHeader = "gensyn-blob-hash";
    public const string BlobSizeHeader = "gensyn-blob-size";

    public override Task<V1.NetworkInfo> GetNetwork(V1.GetNetworkRequest request, ServerCallContext context)
    {
        edge.Limiter.AdmitPublic(context);
        return WorkerEdgeService.Network(edge, context.CancellationToken);
    }

    public override async Task<V1.JsonReply> Quote(V1.SpecRequest request, ServerCallContext context)
    {
        edge.Limiter.AdmitPublic(context);
        return await Ask(new QuoteJob(request.SpecYaml, request.BaseDirectory), context) switch
        {
            JobPrice price => new V1.JsonReply { Json = EdgeJson.Write(price) },
            var other => throw Failure(other),
        };
    }

    public override async Task<V1.SubmitReply> Submit(V1.SubmitRequest request, ServerCallContext context)
    {
        var caller = await Caller(request, context);
        if (WeightsOf(request.SpecYaml) is { } weights && !edge.Store.Contains(weights))
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"inference.weights: this coordinator does not hold blob sha256:{weights}; `gensyn submit` uploads the weights file before the job"));
        if (DatasetProblem(request.SpecYaml) is { } data) throw new RpcException(new Status(StatusCode.FailedPrecondition, data));
        var submit = new SubmitJob(request.SpecYaml, request.BaseDirectory, string.IsNullOrEmpty(request.JobId) ? null : (JobId)request.JobId, caller,
            string.IsNullOrEmpty(request.SubmissionSignature) ? null : request.SubmissionSignature);
        switch (await Ask(submit, context, TimeSpan.FromSeconds(60)))
        {
            case JobAccepted accepted:
                log.LogInformation("Job {JobId} submitted by {Owner}", accepted.JobId, caller);
                return new V1.SubmitReply { JobId = accepted.JobId, Name = accepted.Name };
            case var other:
                throw Failure(other);
        }
    }

    public override async Task<V1.JsonReply> ListJobs(V1.ListJobsRequest request, ServerCallContext context)
    {
        var caller = await Caller(request, context);
        var size = request.PageSize is > 0 ? Math.Min(request.PageSize, edge.Limits.ListJobsPageSize) : edge.Limits.ListJobsPageSize;
        var page = new ListJobs(caller, string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken, size);
        if (await Ask(page, context, TimeSpan.FromSeconds(30)) is not JobList list) throw new RpcException(new Status(StatusCode.Unavailable, "the job catalog did not answer; try again"));
        return new V1.JsonReply { Json = EdgeJson.Write(new JobList(list.Jobs.Where(j => Owns(j, caller)).ToList(), list.NextPageToken)) };
    }

    public override async Task<V1.StatusReply> GetStatus(V1.JobRequest request, ServerCallContext context)
    {
        // Unsigned calls see the public summary; a signed one by the owner sees everything.
        string? caller = null;
        if (context.RequestHeaders.GetValue(Auth.RequestAuth.SignatureHeader) is null) edge.Limiter.AdmitPublic(context);
        else caller = await Caller(request, context);
        var view = await View((JobId)request.JobId, context);
        return Owns(view, caller)
            ? new V1.StatusReply { Json = EdgeJson.Write(view) }
            : new V1.StatusReply { Json = EdgeJson.Write(Summary(view)), SummaryOnly = true };
    }

    public override async Task<V1.JsonReply> GetLog(V1.LogRequest request, ServerCallContext context)
    {
        await Owner((JobId)request.JobId, request, context, "read its log");
        return await Ask(new GetJobLog((JobId)request.JobId, Math.Max(0, request.From)), context) switch
        {
            JobLog entries => new V1.JsonReply { Json = EdgeJson.Write(entries) },
            var other => throw Failure(other),
        };
    }

    public override async Task<V1.CancelReply> Cancel(V1.CancelRequest request, ServerCallContext context)
    {
        var caller = await Owner((JobId)request.JobId, request, context, "cancel it");
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "cancelled by the requester" : request.Reason[..Math.Min(200, request.Reason.Length)];
        switch (await Ask(new CancelJob((JobId)request.JobId, reason), context))
        {
            case JobCancelAccepted accepted:
                log.LogInformation("Job {JobId} cancelled by its owner {Owner}", request.JobId, caller);
                return new V1.CancelReply { JobId = accepted.JobId, State = accepted.State };
            case var other:
                throw Failure(other);
        }
    }

    public override async Task<V1.AuditReply> Audit(V1.AuditRequest request, ServerCallContext context)
    {
        var caller = await Owner((JobId)request.JobId, request, context, "audit it");
        // The answer comes once every replay is journalled: full replays take far longer than the usual ask.
        switch (await Ask(new AuditJob((JobId)request.JobId), context, EdgeContext.AuditTimeout))
        {
            case AuditReport report:
                log.LogInformation("Job {JobId} audited by its owner {Owner}: {Revoked} of {Replayed} revoked",
                    request.JobId, caller, report.Revoked, report.Replayed);
                var reply = new V1.AuditReply
                {
                    JobId = report.JobId, Replayed = report.Replayed, Revoked = report.Revoked,
                };
                reply.Keys.AddRange(report.Keys);
                return reply;
            case var other:
                throw Failure(other);
        }
    }

    public override async Task DownloadResult(V1.ResultRequest request, IServerStreamWriter<V1.BlobChunk> responseStream, ServerCallContext context)
    {
        var caller = await Owner((JobId)request.JobId, request, context, "download its result");
        using var stream = edge.Limiter.Stream(nameof(DownloadResult), caller);
        var answer = await Ask(new GetJobResult((JobId)request.JobId), context, TimeSpan.FromSeconds(60));
        if (answer is not BlobOffer offer) throw Failure(answer);
        if (!edge.Store.Contains(offer.Hash))
        {
            // The job lives on another coordinator: bring its result here through the cluster first.
            await BlobTransfer.ReceiveInto(offer, edge.Store, edge.System.Materializer());
        }
        edge.Store.Touch(offer.Hash);
        var path = edge.Store.PathOf(offer.Hash);
        await context.WriteResponseHeadersAsync(new Metadata
        {
            { BlobHashHeader, offer.Hash.ToString() },
            { BlobSizeHeader, new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        await BlobStreams.SendFileAsync(path, request.Offset, responseStream, context.CancellationToken, edge.Blobs);
    }

    /// <summary>
    /// A requester's upload of a file its job names by hash (inference weights). Signed over the announced hash and size; the bytes enter
    /// the store only when they hash to that name (<see cref="BlobStreams.ReceiveAsync"/>), and are then handed on to every other
    /// coordinator, since the job may start on any of them.
    /// </summary>
    public override async Task<V1.UploadBlobReply> UploadBlob(IAsyncStreamReader<V1.BlobChunk> requestStream, ServerCallContext context)
    {
        var hash = Sha256Digest.TryParse(context.RequestHeaders.GetValue(BlobHashHeader), out var h) ? h
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{BlobHashHeader} must be the blob's SHA-256 in hex"));
        if (!long.TryParse(context.RequestHeaders.GetValue(BlobSizeHeader), out var size))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{BlobSizeHeader} must be the blob's size in bytes"));
        var offset = long.TryParse(context.RequestHeaders.GetValue(WorkerEdgeService.BlobOffsetHeader), out var o) ? o : 0;
        var caller = await Caller(new V1.BlobUpload { Hash = WorkerWire.Bytes(hash), Size = size }, context);
        using var stream = edge.Limiter.Stream(nameof(UploadBlob), caller);
        if (size > MaxRequesterBlobBytes)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a file a job names is at most {MaxRequesterBlobBytes:N0} bytes, announced {size:N0}"));
        await BlobStreams.ReceiveAsync(edge.Store, edge.Uploads, caller, hash, size, offset, Math.Min(MaxRequesterBlobBytes, edge.Limits.MaxUploadBytes),
            edge.Blobs.PartialIdleTimeout, requestStream, context.CancellationToken, edge.Blobs);
        await HandOnToCoordinators(hash, context.CancellationToken);
        log.LogInformation("Blob {Hash} ({Size} bytes) uploaded by {Caller}", hash, size, caller);
        return new V1.UploadBlobReply { Hash = WorkerWire.Bytes(hash) };
    }

    public override async Task<V1.BlobStatusReply> BlobStatus(V1.BlobStatusRequest request, ServerCallContext context)
    {
        await Caller(request, context);
        var hash = Sha256Digest.TryParse(Convert.ToHexStringLower(request.Hash.Span), out var h) && request.Hash.Length == 32 ? h
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "hash must be a SHA-256 (32 bytes)"));
        return edge.Store.Contains(hash)
            ? new V1.BlobStatusReply { Complete = true, Received = new FileInfo(edge.Store.PathOf(hash)).Length }
            : new V1.BlobStatusReply { Received = BlobStreams.Received(edge.Store, hash) };
    }

    /// <summary>The blob an inference spec names as its weights; null for any other spec, or one the gateway will refuse with its reasons.</summary>
    private static Sha256Digest? WeightsOf(string yaml)
    {
        try
        {
            return Contracts.Jobs.JobSpecs.Shared.Submission(yaml).Inference is { } inference
                ? Sha256Digest.Parse(Contracts.Jobs.DataPaths.BlobHex(inference.Weights))
                : null;
        }
        catch (Contracts.Jobs.JobSpecException)
        {
            return null;
        }
    }

    /// <summary>The largest file a requester may upload for a job to name: 1 GiB.</summary>
    public const long MaxRequesterBlobBytes = 1L << 30;

    /// <summary>Gives the blob to every other coordinator's store, where the job that names it may start.</summary>
    private async Task HandOnToCoordinators(Sha256Digest hash, CancellationToken cancel)
    {
        var cluster = Akka.Cluster.Cluster.Get(edge.System);
        foreach (var member in cluster.State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole("coordinator") && m.Address != cluster.SelfAddress))
        {
            try
            {
                var blobs = await edge.System.ActorSelection(new RootActorPath(member.Address) / "user" / "blobs").ResolveOne(EdgeContext.AskTimeout, cancel);
                await BlobTransfer.Upload(blobs, hash, edge.Store, edge.System.Materializer(), TimeSpan.FromMinutes(2), cancel);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A job that starts there fails with a line saying the weights are missing; the requester submits again.
                log.LogWarning("Could not hand blob {Hash} on to {Member}: {Reason}", hash, member.Address, e.GetBaseException().Message);
            }
        }
    }

    public override async Task<V1.JsonReply> ListWorkers(V1.ListWorkersRequest request, ServerCallContext context)
    {
        edge.Limiter.AdmitPublic(context);
        return await Ask(new ListWorkers(), context) switch
        {
            WorkerList workers => new V1.JsonReply { Json = EdgeJson.Write(workers) },
            var other => throw Failure(other),
        };
    }

    public override async Task<V1.JsonReply> GetMarket(V1.GetMarketRequest request, ServerCallContext context)
    {
        edge.Limiter.AdmitPublic(context);
        return await Ask(new GetMarket(), context) switch
        {
            MarketView market => new V1.JsonReply { Json = EdgeJson.Write(market) },
            var other => throw Failure(other),
        };
    }

    /// <summary>The address that signed this call, once the call is counted against it.</summary>
    private async Task<string> Caller(Google.Protobuf.IMessage request, ServerCallContext context)
    {
        await edge.EnsureChainIdAsync(context.CancellationToken);
        var caller = edge.Verifier.Authenticate(context, request);
        edge.Limiter.Admit(EdgeLimiter.MethodOf(context), caller);
        return caller;
    }

    /// <summary>The caller, once it is shown to own the job; otherwise PermissionDenied, with who may.</summary>
    private async Task<string> Owner(JobId jobId, Google.Protobuf.IMessage request, ServerCallContext context, string what)
    {
        var caller = await Caller(request, context);
        var view = await View(jobId, context);
        if (Owns(view, caller)) return caller;
        log.LogWarning("Refused {Caller}: only the owner of job {JobId} may {What}", caller, jobId, what);
        throw new RpcException(new Status(StatusCode.PermissionDenied,
            $"only the key that submitted {jobId} ({view.Owner ?? "none"}) may {what}; you signed as {caller} (use --key with that wallet)"));
    }

    private static bool Owns(JobView view, string? caller) =>
        caller is not null && view.Owner is { } owner && string.Equals(owner, caller, StringComparison.OrdinalIgnoreCase);

    /// <summary>What anyone may see of a job: its state, round and match rate.</summary>
    public static JobView Summary(JobView v) =>
        new(v.JobId, "", v.State, v.Round, v.Rounds, 0, 0, v.MatchRate, v.SubmittedAt, v.FinishedAt, null, null, null, null, null, [], [], Kind: v.Kind);

    private async Task<JobView> View(JobId jobId, ServerCallContext context) =>
        await Ask(new GetJobStatus(jobId), context) switch
        {
            JobView view => view,
            var other => throw Failure(other),
        };

    private async Task<IGensynMessage> Ask(IGensynMessage message, ServerCallContext context, TimeSpan? timeout = null)
    {
        try
        {
            return await edge.Gateway.Ask<IGensynMessage>(message, timeout ?? EdgeContext.AskTimeout, context.CancellationToken);
        }
        catch (AskTimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the cluster did not answer in time; try again"));
        }
    }

    /// <summary>The gRPC status of an answer that is not the one asked for.</summary>
    public static RpcException Failure(IGensynMessage answer) => answer switch
    {
        UnknownJob unknown => new(new Status(StatusCode.NotFound, $"no job '{unknown.JobId}'")),
        JobRejected rejected => new(new Status(StatusCode.InvalidArgument, string.Join("\n", rejected.Errors))),
        RequestFailed { InvalidInput: true } failed => new(new Status(StatusCode.FailedPrecondition, failed.Message)),
        RequestFailed failed => new(new Status(StatusCode.Unavailable, failed.Message)),
        _ => new(new Status(StatusCode.Internal, $"the cluster answered {answer.GetType().Name}")),
    };
}

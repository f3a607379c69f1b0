using System.Security.Cryptography;
using System.Threading.Channels;
using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Wire;
using Grpc.Core;
using Status = Grpc.Core.Status;
using Akka.Streams;
using Microsoft.Extensions.Logging;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Workers;

/// <summary>
/// The workers' door: public network facts and bandwidth probes, the session stream (challenge, signed hello, then a
/// <see cref="WorkerSession"/> actor for the worker's life), and blob transfers authorized by the session's token.
/// </summary>
public sealed partial class WorkerEdgeService(EdgeContext edge, ILogger<WorkerEdgeService> log) : V1.WorkerEdge.WorkerEdgeBase
{
    public const string SessionHeader = "gensyn-session";

    /// <summary>The largest bandwidth probe the edge serves.</summary>
    public const int MaxProbeBytes = 16 << 20;
    public const string BlobHashHeader = "gensyn-blob-hash";
    public const string BlobSizeHeader = "gensyn-blob-size";
    public const string BlobOffsetHeader = "gensyn-blob-offset";

    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(15);

    public override Task<V1.NetworkInfo> GetNetwork(V1.GetNetworkRequest request, ServerCallContext context)
    {
        edge.Limiter.Admit(nameof(GetNetwork), EdgeLimiter.RemoteKey(context));
        return Network(edge, context.CancellationToken);
    }

    /// <summary>The network facts both doors serve.</summary>
    internal static async Task<V1.NetworkInfo> Network(EdgeContext edge, CancellationToken cancel)
    {
        var answer = await edge.NetworkAsync(cancel);
        var minimums = Actors.Market.NetworkRules.Minimums(edge.System.Settings.Config);
        var info = new V1.NetworkInfo { GpuMinimumMemoryGb = minimums.GpuMemoryGb, GpuMinimumBandwidthMbps = minimums.GpuBandwidthMbps };
        switch (answer)
        {
            case ChainInfo chain:
                info.Chain = WorkerWire.ToWire(chain);
                info.SigningChainId = chain.ChainId;
                return info;
            case NoChain none:
                info.NoChainReason = none.Reason;
                return info;
            case RequestFailed failed:
                throw new RpcException(new Status(StatusCode.Unavailable, failed.Message));
            default:
                throw new RpcException(new Status(StatusCode.Internal, $"the coordinator answered {answer.GetType().Name}"));
        }
    }

    /// <summary>The zeros every probe streams: one shared buffer, never a fresh one per call.</summary>
    private static readonly ReadOnlyMemory<byte> ProbeZeros = new byte[BlobStreams.ChunkBytes];

    public override async Task ProbeBandwidth(V1.ProbeRequest request, IServerStreamWriter<V1.BlobChunk> responseStream, ServerCallContext context)
    {
        var caller = EdgeLimiter.RemoteKey(context);
        edge.Limiter.Admit(nameof(ProbeBandwidth), caller);
        if (request.Bytes is < 1 or > MaxProbeBytes)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a bandwidth probe is 1 to {MaxProbeBytes:N0} bytes, got {request.Bytes:N0}"));
        using var stream = edge.Limiter.Stream(nameof(ProbeBandwidth), caller);
        for (var sent = 0; sent < request.Bytes; sent += ProbeZeros.Length)
            await responseStream.WriteAsync(new V1.BlobChunk { Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(ProbeZeros[..Math.Min(ProbeZeros.Length, request.Bytes - sent)]) },
                context.CancellationToken);
    }

    public override async Task Session(IAsyncStreamReader<V1.WorkerMessage> requestStream, IServerStreamWriter<V1.EdgeMessage> responseStream, ServerCallContext context)
    {
        var cancel = context.CancellationToken;
        // Opening a session (the challenge) is unsigned: counted per IP; the session itself, once its hello verifies, per key.
        edge.Limiter.Admit("Challenge", EdgeLimiter.RemoteKey(context));
        await edge.EnsureChainIdAsync(cancel);
        var chainId = edge.ChainId ?? 0;
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await responseStream.WriteAsync(new V1.EdgeMessage { Challenge = new V1.Challenge { Nonce = Google.Protobuf.ByteString.CopyFrom(Convert.FromHexString(nonce)), ChainId = chainId } }, cancel);

        using var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        helloTimeout.CancelAfter(HelloTimeout);
        bool any;
        try
        {
            any = await requestStream.MoveNext(helloTimeout.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no hello within {HelloTimeout.TotalSeconds:0} s"));
        }
        if (!any) return;
        if (requestStream.Current.BodyCase != V1.WorkerMessage.BodyOneofCase.Hello)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a session starts with a hello that signs the challenge"));
        var hello = requestStream.Current.Hello;
        var profile = Profile(hello, nonce, chainId);
        using var open = edge.Limiter.Stream(nameof(Session), profile.Address!);

        var output = Channel.CreateUnbounded<V1.EdgeMessage>(new UnboundedChannelOptions { SingleReader = true });
        var grant = new SessionGrant(hello.WorkerId, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), profile.Address!);
        edge.Sessions[grant.Token] = grant;
        var session = edge.System.ActorOf(
            WorkerSession.Props(profile, edge.Registry, output.Writer, grant, edge.Pushable),
            $"worker-session-{Guid.NewGuid():N}");
        log.LogInformation("Worker {WorkerId} (key {Address}) opened a session from {Peer}", hello.WorkerId, hello.Address, context.Peer);
        // One writer: the session actor fills the channel, this loop drains it into the stream.
        var writer = Task.Run(async () =>
        {
            await foreach (var message in output.Reader.ReadAllAsync(cancel)) await responseStream.WriteAsync(message, cancel);
        }, cancel);
        try
        {
            while (await requestStream.MoveNext(cancel))
            {
                var message = requestStream.Current;
                if (message.BodyCase == V1.WorkerMessage.BodyOneofCase.Hello) continue;
                session.Tell(new WorkerSession.FromWorker(WorkerWire.FromWire(message, profile.WorkerId)));
            }
        }
        catch (EdgeInputException e)
        {
            log.LogWarning("Worker {WorkerId} sent a malformed message ({Reason}); ending its session", hello.WorkerId, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The worker's process or connection is gone.
        }
        finally
        {
            edge.Sessions.TryRemove(grant.Token, out _);
            session.Tell(PoisonPill.Instance);
            output.Writer.TryComplete();
            log.LogInformation("Worker {WorkerId}'s session ended", hello.WorkerId);
            try
            {
                await writer;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>The registration a hello stands for, once its session signature checks out; refuses a hello that does not answer this challenge.</summary>
    private RegisterWorker Profile(V1.Hello hello, string nonce, int chainId)
    {
        if (!WorkerId.TryParse(hello.WorkerId, out var workerId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, WorkerId.Rule));
        var check = ClaimSigner.Check(new WorkerSessionClaim(hello.WorkerId, nonce, edge.Fingerprint, chainId), hello.SessionSignature, hello.Address);
        if (!check.Valid)
        {
            log.LogWarning("Refused a session for worker {WorkerId}: {Reason}", hello.WorkerId, check.Reason);
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the hello does not sign this session's challenge with key {hello.Address} ({check.Reason})"));
        }
        return new RegisterWorker(workerId, ActorRefs.Nobody, hello.Device, hello.MemoryGb, hello.Threads, hello.NumericClass, hello.PricePerHour,
            hello.Address, hello.Throughput, hello.BandwidthMbps, string.IsNullOrEmpty(hello.ProfileSignature) ? null : hello.ProfileSignature,
            hello.ProfileIssuedAtMs);
    }

    /// <summary>The live session a blob call names, once the call is counted against its worker's key.</summary>
    private SessionGrant Grant(ServerCallContext context, string method)
    {
        var grant = context.RequestHeaders.GetValue(SessionHeader) is { } token && edge.Sessions.TryGetValue(token, out var g) && !g.Closed
            ? g
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "blob calls need the token of a live worker session (gensyn-session)"));
        edge.Limiter.Admit(method, grant.Address);
        return grant;
    }

    public override async Task FetchBlob(V1.FetchBlobRequest request, IServerStreamWriter<V1.BlobChunk> responseStream, ServerCallContext context)
    {
        var grant = Grant(context, nameof(FetchBlob));
        using var stream = edge.Limiter.Stream(nameof(FetchBlob), grant.Address);
        var hash = Hash(request.Hash);
        var source = grant.ReadSource(hash) ?? await edge.DatasetReads.SourceAsync(grant, hash, context.CancellationToken);
        if (source is null)
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"blob {hash} is not named by any assignment of worker {grant.WorkerId}"));
        // The job lives on another coordinator: bring the blob here through the cluster first.
        if (!edge.Store.Contains(hash))
        {
            try
            {
                await BlobTransfer.FetchInto(source, hash, edge.Store, edge.System.Materializer(), TimeSpan.FromMinutes(2), context.CancellationToken);
            }
            catch (BlobException e)
            {
                throw new RpcException(new Status(StatusCode.NotFound, e.Message));
            }
        }
        edge.Store.Touch(hash);
        var path = edge.Store.PathOf(hash);
        // The size first: the worker reads the blob into an array of that size, and refuses a reply of any other length.
        await context.WriteResponseHeadersAsync(new Metadata
        {
            { BlobSizeHeader, new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        await BlobStreams.SendFileAsync(path, request.Offset, responseStream, context.CancellationToken, edge.Blobs);
    }

    public override async Task<V1.UploadBlobReply> UploadBlob(IAsyncStreamReader<V1.BlobChunk> requestStream, ServerCallContext context)
    {
        var grant = Grant(context, nameof(UploadBlob));
        if (!grant.MayUpload) throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {grant.WorkerId} holds no assignment to upload for"));
        using var stream = edge.Limiter.Stream(nameof(UploadBlob), grant.Address);
        var hash = Sha256Digest.TryParse(context.RequestHeaders.GetValue(BlobHashHeader), out var h) ? h
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{BlobHashHeader} must be the blob's SHA-256 in hex"));
        if (!long.TryParse(context.RequestHeaders.GetValue(BlobSizeHeader), out var size))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{BlobSizeHeader} must be the blob's size in bytes"));
        var offset = long.TryParse(context.RequestHeaders.GetValue(BlobOffsetHeader), out var o) ? o : 0;
        await BlobStreams.ReceiveAsync(edge.Store, edge.Uploads, grant.Address, hash, size, offset, edge.Limits.MaxUploadBytes, edge.Blobs.PartialIdleTimeout,
            requestStream, context.CancellationToken, edge.Blobs);
        await HandOn(grant, hash, context.CancellationToken);
        return new V1.UploadBlobReply { Hash = WorkerWire.Bytes(hash) };
    }

    /// <summary>Where the job's blob store is on another coordinator, hands the blob on to it through the cluster.</summary>
    private async Task HandOn(SessionGrant grant, Sha256Digest hash, CancellationToken cancel)
    {
        foreach (var destination in grant.Destinations.Where(d => !d.Path.Address.HasLocalScope))
            await BlobTransfer.Upload(destination, hash, edge.Store, edge.System.Materializer(), TimeSpan.FromMinutes(2), cancel);
    }

    public override async Task<V1.BlobStatusReply> BlobStatus(V1.BlobStatusRequest request, ServerCallContext context)
    {
        var grant = Grant(context, nameof(BlobStatus));
        if (!grant.MayUpload) throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {grant.WorkerId} holds no assignment to upload for"));
        var hash = Hash(request.Hash);
        if (!edge.Store.Contains(hash)) return new V1.BlobStatusReply { Received = BlobStreams.Received(edge.Store, hash) };
        // Complete means complete where the job needs it: a blob this edge already holds goes on to the job's coordinator too.
        await HandOn(grant, hash, context.CancellationToken);
        return new V1.BlobStatusReply { Complete = true, Received = new FileInfo(edge.Store.PathOf(hash)).Length };
    }

    private static Sha256Digest Hash(Google.Protobuf.ByteString bytes)
    {
        try
        {
            return WorkerWire.Digest(bytes, "hash");
        }
        catch (EdgeInputException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}

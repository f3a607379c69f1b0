using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Wire;
using Gensyn.Edge.Workers;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Client;

/// <summary>
/// A worker's link to the coordinators' edges: it dials out (first answering coordinator of its list, then the next when a session
/// ends), holds one session stream, and moves blobs through the edge's blob calls under the session's token.
/// </summary>
public sealed class WorkerLink(IReadOnlyList<string> coordinators, string dataDirectory) : ICoordinatorLink, IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, EdgeConnection> _connections = [];
    private int _next;

    /// <summary>Update blobs the edge pushed with assignments: a fetch of one takes it from here.</summary>
    public PushedBlobs Pushed { get; } = new();

    /// <summary>The connection and token of the live session (blob calls go there).</summary>
    private (EdgeConnection Connection, string Token)? _session;

    internal EdgeConnection Connection(string coordinator)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(coordinator, out var connection))
                _connections[coordinator] = connection = EdgeConnection.Open(coordinator, dataDirectory);
            return connection;
        }
    }

    /// <summary>The coordinators in the order to try them, starting after the last one that failed.</summary>
    internal IEnumerable<string> Rotation()
    {
        var start = Interlocked.Increment(ref _next);
        return Enumerable.Range(0, coordinators.Count).Select(i => coordinators[(start + i) % coordinators.Count]);
    }

    internal void SessionOpened(EdgeConnection connection, string token) => _session = (connection, token);

    internal void SessionClosed() => _session = null;

    public Props SessionProps(IActorRef worker, WorkerKey key) => Props.Create(() => new WorkerLinkActor(this, worker, key));

    public async Task<IGensynMessage> NetworkAsync(CancellationToken cancel)
    {
        var failures = new List<string>();
        foreach (var coordinator in Rotation())
        {
            var connection = Connection(coordinator);
            try
            {
                var network = await new V1.WorkerEdge.WorkerEdgeClient(connection.Channel)
                    .GetNetworkAsync(new V1.GetNetworkRequest(), deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancel);
                return network.Chain is { } chain ? WorkerWire.FromWire(chain) : new NoChain(network.NoChainReason);
            }
            catch (RpcException e)
            {
                connection.Unreachable(e);
                failures.Add($"{connection.Endpoint}: {e.Status.Detail}");
            }
        }
        return new RequestFailed($"no coordinator answered ({string.Join("; ", failures)})", InvalidInput: false);
    }

    public async Task<double> MeasureBandwidthMbpsAsync(CancellationToken cancel)
    {
        const int bytes = 4 << 20;
        var connection = _session?.Connection ?? Connection(Rotation().First());
        var edge = new V1.WorkerEdge.WorkerEdgeClient(connection.Channel);
        var clock = Stopwatch.StartNew();
        using var call = edge.ProbeBandwidth(new V1.ProbeRequest { Bytes = bytes }, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancel);
        long received = 0;
        while (await call.ResponseStream.MoveNext(cancel)) received += call.ResponseStream.Current.Data.Length;
        if (received != bytes) throw new IOException($"the bandwidth probe delivered {received:N0} of {bytes:N0} bytes");
        return received * 8.0 / Math.Max(clock.Elapsed.TotalSeconds, 1e-6) / 1e6;
    }

    private (V1.WorkerEdge.WorkerEdgeClient Edge, Metadata Headers) Session(params (string, string)[] extra)
    {
        var (connection, token) = _session ?? throw new IOException("the worker has no session with a coordinator");
        var headers = new Metadata { { WorkerEdgeService.SessionHeader, token } };
        foreach (var (name, value) in extra) headers.Add(name, value);
        return (new V1.WorkerEdge.WorkerEdgeClient(connection.Channel), headers);
    }

    public Task<byte[]> FetchAsync(Sha256Digest hash, CancellationToken cancel) =>
        FetchAsync(hash, BlobStreams.MaxUploadBytes, "larger than any blob may be", cancel);

    /// <summary>How many times a chunk fetch waits out the edge's rate limit (its <c>retry-after-ms</c>) before it
    /// gives up.</summary>
    private const int RateLimitedRetries = 10;

    public async Task<byte[]?> FetchChunkAsync(Sha256Digest hash, long maxBytes, CancellationToken cancel)
    {
        for (var waited = 0; ; waited++)
        {
            try
            {
                return await FetchAsync(hash, maxBytes, $"refused: over the {maxBytes:N0} bytes announced", cancel);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.PermissionDenied)
            {
                return null; // no coordinator serves it to this worker
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && waited < RateLimitedRetries
                && long.TryParse(e.Trailers.GetValue(Limits.EdgeLimiter.RetryAfterTrailer),
                    System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                    out var ms))
            {
                // Past the edge's limit for this worker's key: wait as long as it says, then ask again.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(ms, 60_000)), cancel);
            }
        }
    }

    /// <summary>The blob's bytes, refused (<paramref name="tooLarge"/>) as soon as more than
    /// <paramref name="maxBytes"/> arrive, or more or fewer than the edge announced.</summary>
    private async Task<byte[]> FetchAsync(Sha256Digest hash, long maxBytes, string tooLarge, CancellationToken cancel)
    {
        if (Pushed.Take(hash, maxBytes) is { } pushed) return pushed;
        var (edge, headers) = Session();
        using var call = edge.FetchBlob(new V1.FetchBlobRequest { Hash = WorkerWire.Bytes(hash) }, headers,
            DateTime.UtcNow + TransferTimeout, cancel);
        return await BlobDownload.ReadAsync(call.ResponseStream, hash, maxBytes, tooLarge, cancel,
            AnnouncedSize(await call.ResponseHeadersAsync), Transfers.ChunksInFlight);
    }

    /// <summary>
    /// Fetches a blob one of this worker's assignments names into <paramref name="path"/>, hash checked, without holding it in
    /// memory; returns its size. A refused download leaves no file.
    /// </summary>
    public async Task<long> FetchToFileAsync(Sha256Digest hash, string path, CancellationToken cancel)
    {
        var (edge, headers) = Session();
        using var call = edge.FetchBlob(new V1.FetchBlobRequest { Hash = WorkerWire.Bytes(hash) }, headers,
            DateTime.UtcNow + TransferTimeout, cancel);
        var limit = AnnouncedSize(await call.ResponseHeadersAsync) ?? BlobStreams.MaxUploadBytes;
        return await BlobDownload.ReadToFileAsync(call.ResponseStream, hash, path, Math.Min(limit, BlobStreams.MaxUploadBytes),
            "refused: longer than announced", Transfers.ChunksInFlight, cancel);
    }

    /// <summary>The blob size the edge announced in a FetchBlob reply's headers (an older edge announces none).</summary>
    private static long? AnnouncedSize(Metadata headers) =>
        long.TryParse(headers.GetValue(WorkerEdgeService.BlobSizeHeader), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;

    /// <summary>How this worker's blob transfers are chunked and pipelined.</summary>
    private static BlobSettings Transfers => BlobSettings.Default;

    public Task UploadAsync(Sha256Digest hash, byte[] bytes, CancellationToken cancel) =>
        UploadAsync(hash, bytes.Length, async (offset, call) =>
        {
            // Slices of the caller's array go out as they are (gRPC copies each while serializing it): no copy of the blob.
            for (var at = offset; at < bytes.Length; at += Transfers.ChunkBytes)
                await call.RequestStream.WriteAsync(new V1.BlobChunk
                {
                    Data = UnsafeByteOperations.UnsafeWrap(bytes.AsMemory((int)at, (int)Math.Min(Transfers.ChunkBytes, bytes.Length - at))),
                }, cancel);
        }, cancel);

    /// <summary>Uploads the file at <paramref name="path"/> (whose SHA-256 is <paramref name="hash"/>) in chunks read ahead of the wire,
    /// without holding it in memory.</summary>
    public async Task UploadFileAsync(Sha256Digest hash, string path, CancellationToken cancel)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await UploadAsync(hash, file.Length, async (offset, call) =>
        {
            file.Position = offset;
            await BlobStreams.SendAsync(file, call.RequestStream, Transfers, cancel);
        }, cancel);
    }

    private async Task UploadAsync(Sha256Digest hash, long size, Func<long, AsyncClientStreamingCall<V1.BlobChunk, V1.UploadBlobReply>, Task> send,
        CancellationToken cancel)
    {
        var (edge, headers) = Session();
        // The edge may hold the blob already (a state the job stored before) or part of an earlier attempt: send only what it lacks.
        var status = await edge.BlobStatusAsync(new V1.BlobStatusRequest { Hash = WorkerWire.Bytes(hash) }, headers, DateTime.UtcNow + CallTimeout, cancel);
        if (status.Complete) return;
        var offset = status.Received <= size ? status.Received : 0;
        headers.Add(WorkerEdgeService.BlobHashHeader, hash.ToString());
        headers.Add(WorkerEdgeService.BlobSizeHeader, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        headers.Add(WorkerEdgeService.BlobOffsetHeader, offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var call = edge.UploadBlob(headers, DateTime.UtcNow + TransferTimeout, cancel);
        try
        {
            await send(offset, call);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException) when (!cancel.IsCancellationRequested)
        {
            // The edge answered before taking every chunk (it had the blob after all, or refused it): its answer says which.
        }
        await call.ResponseAsync;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var connection in _connections.Values) connection.Dispose();
            _connections.Clear();
        }
    }
}

/// <summary>
/// The worker's end of its session: opens it once the worker hands over its signed profile, answers the edge's challenge with the
/// worker key, passes what the coordinators push to the worker and what the worker sends to the coordinators, and dials again
/// (the next coordinator of the list) a second after a session ends.
/// </summary>
public sealed class WorkerLinkActor : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record SessionEnded(string Reason) : INoSerializationVerificationNeeded;
    private sealed record Dial : INoSerializationVerificationNeeded;

    private readonly WorkerLink _link;
    private readonly IActorRef _worker;
    private readonly WorkerKey _key;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private RegisterWorker? _profile;
    private Channel<V1.WorkerMessage>? _up;
    private CancellationTokenSource? _stop;

    public WorkerLinkActor(WorkerLink link, IActorRef worker, WorkerKey key)
    {
        _link = link;
        _worker = worker;
        _key = key;
        Receive<RegisterWorker>(profile =>
        {
            var first = _profile is null;
            _profile = profile;
            if (first) Self.Tell(new Dial());
        });
        Receive<Dial>(_ =>
        {
            if (_up is not null || _profile is null) return;
            _up = Channel.CreateUnbounded<V1.WorkerMessage>(new UnboundedChannelOptions { SingleReader = true });
            _stop = new CancellationTokenSource();
            var self = Self;
            RunSession(_profile, _up, self, _stop.Token).ContinueWith(t => new SessionEnded(t.IsCompletedSuccessfully ? t.Result
                : t.Exception?.GetBaseException().Message ?? "cancelled")).PipeTo(self);
        });
        Receive<SessionEnded>(ended =>
        {
            _up?.Writer.TryComplete();
            _up = null;
            _link.SessionClosed();
            _log.Warning("The session with the coordinators ended ({0}); dialling again", ended.Reason);
            _worker.Tell(new CoordinatorLost(ended.Reason));
            Timers.StartSingleTimer("dial", new Dial(), TimeSpan.FromSeconds(1));
        });
        Receive<IGensynMessage>(message =>
        {
            if (_up is null || !_up.Writer.TryWrite(WorkerWire.ToWire(message)))
                _log.Debug("No session: dropped {0}", message.GetType().Name);
        });
    }

    protected override void PostStop() => _stop?.Cancel();

    /// <summary>One session, start to end: returns why it ended.</summary>
    private async Task<string> RunSession(RegisterWorker profile, Channel<V1.WorkerMessage> up, IActorRef self, CancellationToken stop)
    {
        var failures = new List<string>();
        foreach (var coordinator in _link.Rotation())
        {
            var connection = _link.Connection(coordinator);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var established = false;
            try
            {
                using var call = new V1.WorkerEdge.WorkerEdgeClient(connection.Channel).Session(cancellationToken: cancel.Token);
                if (!await call.ResponseStream.MoveNext(cancel.Token) || call.ResponseStream.Current.Challenge is not { } challenge)
                {
                    failures.Add($"{connection.Endpoint} sent no challenge");
                    continue;
                }
                var claim = new WorkerSessionClaim(profile.WorkerId, Convert.ToHexStringLower(challenge.Nonce.Span), connection.Fingerprint!, challenge.ChainId);
                await call.RequestStream.WriteAsync(new V1.WorkerMessage
                {
                    Hello = new V1.Hello
                    {
                        WorkerId = profile.WorkerId, Address = profile.Address, Device = profile.Device, MemoryGb = profile.MemoryGb, Threads = profile.Threads,
                        NumericClass = profile.NumericClass, PricePerHour = profile.PricePerHour, Throughput = profile.Throughput, BandwidthMbps = profile.BandwidthMbps,
                        ProfileSignature = profile.Signature ?? "", ProfileIssuedAtMs = profile.IssuedAtUnixMs, SessionSignature = ClaimSigner.Sign(_key, claim),
                    },
                }, cancel.Token);
                established = true;
                // One writer: everything the worker sends goes through this loop.
                var writer = Task.Run(async () =>
                {
                    await foreach (var message in up.Reader.ReadAllAsync(cancel.Token)) await call.RequestStream.WriteAsync(message, cancel.Token);
                }, cancel.Token);
                try
                {
                    while (await call.ResponseStream.MoveNext(cancel.Token))
                    {
                        var message = call.ResponseStream.Current;
                        switch (message.BodyCase)
                        {
                            case V1.EdgeMessage.BodyOneofCase.Welcome:
                                _link.SessionOpened(connection, message.Welcome.SessionToken);
                                _worker.Tell(new WorkerRegistered((WorkerId)message.Welcome.WorkerId), self);
                                break;
                            case V1.EdgeMessage.BodyOneofCase.Refused:
                                _worker.Tell(WorkerWire.FromWire(message.Refused), self);
                                break;
                            default:
                                // An update blob pushed with the assignment is kept (hash checked) before the worker
                                // sees the assignment, so that its fetch finds it.
                                if (message.Assignment is { } a && WorkerWire.PushedUpdate(a) is { } pushed
                                    && !_link.Pushed.Offer(pushed.Hash, pushed.Bytes.Span))
                                    _log.Warning(
                                        "The edge pushed an update blob that does not hash to {0}; fetching it",
                                        pushed.Hash);
                                if (WorkerWire.FromWire(message, self) is { } record) _worker.Tell(record, self);
                                break;
                        }
                    }
                    return $"{connection.Endpoint} closed the session";
                }
                finally
                {
                    await cancel.CancelAsync();
                    try
                    {
                        await writer;
                    }
                    catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or IOException)
                    {
                    }
                }
            }
            catch (RpcException e) when (!stop.IsCancellationRequested)
            {
                // A session that was under way ended: the worker hears of it before anything else is dialled.
                if (established) return $"{connection.Endpoint}: {e.Status.StatusCode} {e.Status.Detail}";
                connection.Unreachable(e);
                failures.Add($"{connection.Endpoint}: {e.Status.StatusCode} {e.Status.Detail}");
            }
        }
        return failures.Count == 0 ? "no coordinator to dial" : string.Join("; ", failures);
    }
}

using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Client;
using Gensyn.Edge.Tls;
using Gensyn.Edge.Wire;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Node.Cli;

/// <summary>No coordinator answered in time.</summary>
public sealed class CoordinatorUnavailableException(string message) : Exception(message);

/// <summary>The coordinator refused the call because the caller's key sent too many (gRPC ResourceExhausted with a retry-after).</summary>
public sealed class CoordinatorRateLimitedException(TimeSpan retryAfter)
    : Exception($"the coordinator is rate-limiting this key; retry in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} s")
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The refusal <paramref name="e"/> stands for, when it is a rate limit (ResourceExhausted that says when to retry).</summary>
    public static CoordinatorRateLimitedException? From(RpcException e) =>
        e.StatusCode == StatusCode.ResourceExhausted
        && long.TryParse(e.Trailers.GetValue(Gensyn.Edge.Limits.EdgeLimiter.RetryAfterTrailer), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? new CoordinatorRateLimitedException(TimeSpan.FromMilliseconds(ms))
            : null;
}

/// <summary>
/// The requester's connection to the coordinators' edges (gRPC over TLS, certificates pinned in DATA_DIR/known-coordinators). Calls
/// that touch a job are signed with the requester's wallet; each request record the commands use becomes one edge call, and the
/// answer comes back as the record the commands expect (<see cref="UnknownJob"/>, <see cref="JobRejected"/>, <see cref="RequestFailed"/>
/// for refusals).
/// </summary>
public sealed partial class CoordinatorClient : IAsyncDisposable
{
    /// <summary>How long <c>audit</c> waits for its report: it comes after every audited result is replayed in
    /// full.</summary>
    public static readonly TimeSpan AuditTimeout = TimeSpan.FromHours(1);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("GENSYN_TIMEOUT_SECONDS"), out var s) && s > 0 ? s : 10);

    /// <summary>The data directory of the running command (known coordinators, the default wallet); set once the command line is parsed.</summary>
    public static string DefaultDataDirectory { get; set; } = GlobalOptions.DefaultDataDirectory;

    private readonly IReadOnlyList<string> _coordinators;
    private readonly string _dataDirectory;
    private readonly string _keyFile;
    private WorkerKey? _key;
    private EdgeConnection? _connection;
    private V1.NetworkInfo? _network;

    private CoordinatorClient(IReadOnlyList<string> coordinators, string dataDirectory, string keyFile)
    {
        _coordinators = coordinators;
        _dataDirectory = dataDirectory;
        _keyFile = keyFile;
    }

    /// <summary>
    /// A client for <paramref name="coordinators"/> (<c>HOST:PORT[#SHA256FP][,...]</c>) that signs with <paramref name="keyFile"/>
    /// (default DATA_DIR/wallet.key, created when first needed).
    /// </summary>
    public static CoordinatorClient Connect(string coordinators, string? keyFile = null, string? dataDirectory = null)
    {
        var endpoints = ClusterCli.ParseEndpoints(coordinators, "--coordinator");
        var data = dataDirectory ?? DefaultDataDirectory;
        return new CoordinatorClient(endpoints, data, keyFile ?? Path.Combine(data, ChainCli.WalletFile));
    }

    /// <summary>The address requests are signed with.</summary>
    public string Address => Key(create: false).Address;

    /// <summary>
    /// The wallet that signs: a submission creates it if missing (the job must belong to a key its requester keeps); a read by someone
    /// without a wallet signs with a throwaway key, which owns no job, rather than leave an unfunded wallet behind.
    /// </summary>
    private WorkerKey Key(bool create)
    {
        var exists = File.Exists(_keyFile);
        // A throwaway key stands in only while there is no wallet: once one is written (submit creates it), the wallet signs.
        if (_key is not null && !(_throwaway && exists) && (!create || exists)) return _key;
        _throwaway = !create && !exists;
        return _key = create || exists ? WorkerKey.LoadOrCreate(_keyFile, WalletPassphrase.ToOpen) : WorkerKey.Generate();
    }

    private bool _throwaway;

    /// <summary>The first coordinator that answers, with the network facts signatures bind.</summary>
    private async Task<(EdgeConnection Connection, V1.NetworkInfo Network)> Edge(TimeSpan timeout)
    {
        if (_connection is not null && _network is not null) return (_connection, _network);
        var failures = new List<string>();
        foreach (var coordinator in _coordinators)
        {
            var connection = EdgeConnection.Open(coordinator, _dataDirectory);
            try
            {
                var network = await new V1.RequesterEdge.RequesterEdgeClient(connection.Channel)
                    .GetNetworkAsync(new V1.GetNetworkRequest(), deadline: DateTime.UtcNow + timeout);
                (_connection, _network) = (connection, network);
                return (connection, network);
            }
            catch (RpcException e)
            {
                connection.Unreachable(e);   // throws on a certificate that does not match its pin
                failures.Add($"{connection.Endpoint}: {e.Status.Detail}");
                connection.Dispose();
            }
        }
        throw new CoordinatorUnavailableException(
            $"no coordinator answered at {string.Join(", ", _coordinators)} within {timeout.TotalSeconds:0} s ({string.Join("; ", failures)}); start one with `./gensyn node` or point --coordinator (or GENSYN_COORDINATOR) at a running one");
    }

    private Metadata Signed(string method, IMessage request, V1.NetworkInfo network, EdgeConnection connection, bool createWallet = true) =>
        RequestAuth.Sign(Key(create: createWallet && method is ("Submit" or "BlobStatus" or "UploadBlob" or "MissingBlobs")), $"/{V1.RequesterEdge.Descriptor.FullName}/{method}", request, network.SigningChainId,
            connection.Fingerprint ?? throw new InvalidOperationException("the edge's certificate is not known yet"));

    /// <summary>Sends a request to the coordinators and waits for its answer.</summary>
    public async Task<IGensynMessage> Ask(IGensynMessage request, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var (connection, network) = await Edge(limit);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        var deadline = DateTime.UtcNow + limit;
        try
        {
            switch (request)
            {
                case GetChainInfo:
                    return network.Chain is { } chain ? WorkerWire.FromWire(chain) : new NoChain(network.NoChainReason);
                case GetNetworkMinimums:
                    return new NetworkMinimums(network.GpuMinimumMemoryGb, network.GpuMinimumBandwidthMbps);
                case QuoteJob quote:
                    return EdgeJson.Read<JobPrice>((await edge.QuoteAsync(new V1.SpecRequest { SpecYaml = quote.SpecYaml, BaseDirectory = quote.BaseDirectory },
                        deadline: deadline)).Json);
                case SubmitJob submit:
                {
                    var call = new V1.SubmitRequest
                    {
                        SpecYaml = submit.SpecYaml, BaseDirectory = submit.BaseDirectory, JobId = submit.JobId ?? "", SubmissionSignature = submit.Signature ?? "",
                    };
                    var reply = await edge.SubmitAsync(call, Signed("Submit", call, network, connection), deadline);
                    return new JobAccepted((JobId)reply.JobId, reply.Name);
                }
                case ListJobs:
                {
                    // Page by page: each page wakes only its share of the coordinator's jobs.
                    var jobs = new List<JobView>();
                    string? token = null;
                    do
                    {
                        var call = new V1.ListJobsRequest { PageToken = token ?? "" };
                        var page = EdgeJson.Read<JobList>((await edge.ListJobsAsync(call, Signed("ListJobs", call, network, connection), deadline)).Json);
                        jobs.AddRange(page.Jobs);
                        token = page.NextPageToken;
                    } while (token is not null);
                    return new JobList(jobs);
                }
                case GetJobStatus status:
                {
                    var call = new V1.JobRequest { JobId = status.JobId };
                    return EdgeJson.Read<JobView>((await edge.GetStatusAsync(call, Signed("GetStatus", call, network, connection), deadline)).Json);
                }
                case GetJobLog log:
                {
                    var call = new V1.LogRequest { JobId = log.JobId, From = log.From };
                    return EdgeJson.Read<JobLog>((await edge.GetLogAsync(call, Signed("GetLog", call, network, connection), deadline)).Json);
                }
                case CancelJob cancel:
                {
                    var call = new V1.CancelRequest { JobId = cancel.JobId, Reason = cancel.Reason };
                    var reply = await edge.CancelAsync(call, Signed("Cancel", call, network, connection), deadline);
                    return new JobCancelAccepted((JobId)reply.JobId, reply.State);
                }
                case AuditJob audit:
                {
                    var call = new V1.AuditRequest { JobId = audit.JobId };
                    // The edge answers once every replay is journalled, so the call waits past the usual deadline.
                    var signed = Signed("Audit", call, network, connection);
                    var reply = await edge.AuditAsync(call, signed, DateTime.UtcNow + AuditTimeout);
                    return new AuditReport((JobId)reply.JobId, reply.Keys.ToList(), reply.Replayed, reply.Revoked);
                }
                case ListWorkers:
                    return EdgeJson.Read<WorkerList>((await edge.ListWorkersAsync(new V1.ListWorkersRequest(), deadline: deadline)).Json);
                case GetMarket:
                    return EdgeJson.Read<MarketView>((await edge.GetMarketAsync(new V1.GetMarketRequest(), deadline: deadline)).Json);
                default:
                    throw new ArgumentException($"{request.GetType().Name} is not a requester call");
            }
        }
        catch (RpcException e)
        {
            return Refusal(e, connection, request is IJobCommand c ? c.JobId : null, limit);
        }
    }

    /// <summary>Downloads a completed job's result to <paramref name="path"/> (hash checked); a refusal comes back as its record.</summary>
    public async Task<(IGensynMessage? Failure, Sha256Digest Hash)> DownloadResult(string jobId, string path, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        var (connection, network) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        var call = new V1.ResultRequest { JobId = jobId };
        try
        {
            using var stream = edge.DownloadResult(call, Signed("DownloadResult", call, network, connection), DateTime.UtcNow + limit);
            var headers = await stream.ResponseHeadersAsync;
            if (!Sha256Digest.TryParse(headers.GetValue(Gensyn.Edge.Requesters.RequesterEdgeService.BlobHashHeader), out var hash))
            {
                // A refusal comes as a response without headers of its own: reading on surfaces its status.
                await stream.ResponseStream.MoveNext(CancellationToken.None);
                return (new RequestFailed("the coordinator did not say which blob the result is", false), default);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temp = path + ".part";
            using (var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
            {
                await using (var file = File.Create(temp))
                {
                    while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        var data = stream.ResponseStream.Current.Data;
                        sha.AppendData(data.Span);
                        await file.WriteAsync(data.Memory);
                    }
                }
                var actual = Sha256Digest.FromBytes(sha.GetHashAndReset());
                if (actual != hash)
                {
                    File.Delete(temp);
                    throw new Actors.Blobs.BlobException($"the result of {jobId} arrived corrupt: its bytes hash to {actual}, not {hash}; download it again");
                }
            }
            File.Move(temp, path, overwrite: true);
            return (null, hash);
        }
        catch (RpcException e)
        {
            return (Refusal(e, connection, jobId, limit), default);
        }
    }

    /// <summary>
    /// Uploads the file at <paramref name="path"/> (whose SHA-256 is <paramref name="hash"/>) for a job to name, resuming what the edge
    /// already holds; null when the edge holds it whole, else the refusal.
    /// </summary>
    /// <param name="createWallet">False for an upload before the wallet is needed (a module the quote prices): without a wallet,
    /// it is signed with a throwaway key, so that submit still creates and funds the wallet on a devnet.</param>
    public async Task<IGensynMessage?> UploadBlob(string path, Sha256Digest hash, TimeSpan? timeout = null, bool createWallet = true)
    {
        var (connection, network) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        V1.BlobStatusReply held;
        try
        {
            var status = new V1.BlobStatusRequest { Hash = WorkerWire.Bytes(hash) };
            held = await edge.BlobStatusAsync(status, Signed("BlobStatus", status, network, connection, createWallet), DateTime.UtcNow + DefaultTimeout);
        }
        catch (RpcException e)
        {
            return Refusal(e, connection, null, DefaultTimeout);
        }
        return held.Complete ? null : await UploadBlobFrom(path, hash, held.Received, timeout: timeout, createWallet: createWallet);
    }

    /// <summary>
    /// Uploads the file at <paramref name="path"/> (whose SHA-256 is <paramref name="hash"/>) from <paramref name="offset"/>, the
    /// bytes the edge already holds (BlobStatus, MissingBlobs); <paramref name="sent"/> hears of each piece sent. Null once the edge
    /// holds it whole, else the refusal.
    /// </summary>
    public async Task<IGensynMessage?> UploadBlobFrom(string path, Sha256Digest hash, long offset, Action<long>? sent = null,
        TimeSpan? timeout = null, bool createWallet = true)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        var (connection, network) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var size = file.Length;
            var signed = Signed("UploadBlob", new V1.BlobUpload { Hash = WorkerWire.Bytes(hash), Size = size }, network, connection, createWallet);
            signed.Add(Gensyn.Edge.Requesters.RequesterEdgeService.BlobHashHeader, hash.ToString());
            signed.Add(Gensyn.Edge.Requesters.RequesterEdgeService.BlobSizeHeader, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            signed.Add(Gensyn.Edge.Workers.WorkerEdgeService.BlobOffsetHeader, offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var call = edge.UploadBlob(signed, DateTime.UtcNow + limit);
            file.Position = offset;
            var buffer = new byte[Gensyn.Edge.Blobs.BlobStreams.ChunkBytes];
            int read;
            try
            {
                while ((read = await file.ReadAsync(buffer)) > 0)
                {
                    await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) });
                    sent?.Invoke(read);
                }
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                // The edge answered before taking every chunk (it refused the upload): its answer, not the broken write, says why.
            }
            await call.ResponseAsync;
            return null;
        }
        catch (RpcException e)
        {
            return Refusal(e, connection, null, limit);
        }
    }

    /// <summary>The record a refused call stands for; an unreachable edge is a <see cref="CoordinatorUnavailableException"/>.</summary>
    private IGensynMessage Refusal(RpcException e, EdgeConnection connection, string? jobId, TimeSpan limit)
    {
        if (connection.Unreachable(e) || e.StatusCode == StatusCode.DeadlineExceeded)
        {
            _connection = null;
            _network = null;
            throw new CoordinatorUnavailableException(
                $"no coordinator answered at {connection.Endpoint} within {limit.TotalSeconds:0} s; start one with `./gensyn node` or point --coordinator (or GENSYN_COORDINATOR) at a running one");
        }
        if (CoordinatorRateLimitedException.From(e) is { } limited) throw limited;
        return e.StatusCode switch
        {
            StatusCode.NotFound when jobId is not null => new UnknownJob((JobId)jobId),
            StatusCode.InvalidArgument => new JobRejected(e.Status.Detail.Split('\n')),
            StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.FailedPrecondition or StatusCode.NotFound => new RequestFailed(e.Status.Detail, InvalidInput: true),
            _ => new RequestFailed(e.Status.Detail, InvalidInput: false),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Console.Out.FlushAsync();
        _connection?.Dispose();
    }
}

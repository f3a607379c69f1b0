using System.Collections.Concurrent;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Client;
using Gensyn.Edge.Wire;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Status = Grpc.Core.Status;
using V1 = Gensyn.Edge.V1;

using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// One coordinator (no chain: jobs need no deposit) with its edge and one honest worker ("honest") in this process, shared by the
/// red-team tests of a class; and the attacker's tools: a raw gRPC channel that trusts whatever certificate the edge shows, the
/// generated clients, signing with any key, raw worker sessions. A job by the payer (key A) is submitted at start.
/// </summary>
public class EdgeFixture : IAsyncLifetime
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    public const string HonestId = "honest";

    public TempDirectory Root { get; } = new();
    public CoordinatorNode Coordinator { get; private set; } = null!;
    public EdgeServer Edge { get; private set; } = null!;
    public WorkerNode Worker { get; private set; } = null!;
    private WorkerLink _link = null!;

    /// <summary>The payer of <see cref="SharedJobId"/> (key A) and a stranger (key B).</summary>
    public WorkerKey Payer { get; } = WorkerKey.Generate();
    public WorkerKey Stranger { get; } = WorkerKey.Generate();

    public GrpcChannel Channel { get; private set; } = null!;
    public V1.RequesterEdge.RequesterEdgeClient Requesters { get; private set; } = null!;
    public V1.WorkerEdge.WorkerEdgeClient Workers { get; private set; } = null!;

    public string Door => $"127.0.0.1:{Edge.Port}";
    public string SharedJobId { get; private set; } = "";

    /// <summary>Warnings the coordinator logged (for the "dropped" messages nothing else shows).</summary>
    public ConcurrentQueue<string> Warnings { get; } = new();

    /// <summary>HOCON appended to cluster.hocon (later settings win): what a fixture with other limits changes.</summary>
    protected virtual string Settings => "";

    public async Task InitializeAsync()
    {
        Coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", LocalClusterPort(), [], Root.File("coordinator"), JournalOptions.Sqlite(Root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")) + "\n" + Settings, SerializeMessages: true, Chain: null));
        var collector = Coordinator.System.ActorOf(Props.Create(() => new WarningCollector(Warnings)), "security-test-warnings");
        Coordinator.System.EventStream.Subscribe(collector, typeof(Warning));
        await Coordinator.WhenUp().WaitAsync(GiveUpAfter);
        Edge = await EdgeServer.StartAsync(Coordinator, new EdgeOptions("127.0.0.1", 0, Root.File("coordinator")));
        _link = new WorkerLink([Door], Root.File("worker"));
        Worker = WorkerNode.Start(new WorkerOptions((WorkerId)HonestId, [Door], Root.File("worker"), Threads: 1, PricePerHour: 0.2), _link, serializeMessages: true);
        Channel = AttackerChannel(Edge.Port);
        Requesters = new V1.RequesterEdge.RequesterEdgeClient(Channel);
        Workers = new V1.WorkerEdge.WorkerEdgeClient(Channel);
        await WaitForWorker(HonestId);
        SharedJobId = await Submit(Payer, TestSpecs.SyntheticYaml(rounds: 1, shards: 2, innerSteps: 8));
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (Worker is not null) await Worker.DisposeAsync();
        _link?.Dispose();
        if (Edge is not null) await Edge.DisposeAsync();
        if (Coordinator is not null) await Coordinator.DisposeAsync();
        Root.Dispose();
    }

    private static int LocalClusterPort() => Gensyn.Node.Local.LocalCluster.FreePort();

    /// <summary>A TLS channel that accepts the edge's certificate without pinning it: what an attacker would dial.</summary>
    public static GrpcChannel AttackerChannel(int port)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(5) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>The headers that sign a RequesterEdge call to <paramref name="method"/> with <paramref name="key"/> (no chain: chain id 0).</summary>
    public Metadata Sign(WorkerKey key, string method, IMessage request) =>
        RequestAuth.Sign(key, Method(method), request, 0, Edge.Fingerprint);

    public static string Method(string name) => $"/{V1.RequesterEdge.Descriptor.FullName}/{name}";

    public async Task<string> Submit(WorkerKey key, string yaml)
    {
        var request = new V1.SubmitRequest { SpecYaml = yaml, BaseDirectory = Root.Path };
        var reply = await Requesters.SubmitAsync(request, Sign(key, "Submit", request), DateTime.UtcNow + GiveUpAfter);
        return reply.JobId;
    }

    /// <summary>The job as its payer sees it.</summary>
    public async Task<JobView> Status(string jobId, WorkerKey? key = null)
    {
        var request = new V1.JobRequest { JobId = jobId };
        var reply = await Requesters.GetStatusAsync(request, Sign(key ?? Payer, "GetStatus", request), DateTime.UtcNow + TimeSpan.FromSeconds(30));
        Assert.False(reply.SummaryOnly, "the payer should see the full status");
        return EdgeJson.Read<JobView>(reply.Json);
    }

    /// <summary>The job's events in this coordinator's journal.</summary>
    public IReadOnlyList<JournaledEvent> JobEvents(string jobId) => JobJournal.Read(Root.File("journal.db"), jobId);

    public async Task<string> Log(string jobId)
    {
        var request = new V1.LogRequest { JobId = jobId };
        var reply = await Requesters.GetLogAsync(request, Sign(Payer, "GetLog", request), DateTime.UtcNow + TimeSpan.FromSeconds(30));
        return string.Join("\n", EdgeJson.Read<JobLog>(reply.Json).Entries.Select(e => e.Text));
    }

    /// <summary>Waits until the job ends; <paramref name="whileRunning"/> runs on each poll with the payer's view.</summary>
    public async Task<JobView> Finished(string jobId, Func<JobView, Task>? whileRunning = null)
    {
        JobView view = null!;
        await Poll.Until(
            async () =>
            {
                view = await Status(jobId);
                if (view.State is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled) return true;
                if (whileRunning is not null) await whileRunning(view);
                return false;
            },
            GiveUpAfter,
            async () => $"job {jobId} was still {view.State} after {GiveUpAfter.TotalSeconds} s\n{await Log(jobId)}");
        return view;
    }

    public async Task<JobView> Completed(string jobId)
    {
        var view = await Finished(jobId);
        Assert.True(view.State == JobPhase.Completed, $"job {jobId} ended {view.State}: {view.Reason}\n{await Log(jobId)}");
        return view;
    }

    public async Task<WorkerList> ListWorkers() =>
        EdgeJson.Read<WorkerList>((await Requesters.ListWorkersAsync(new V1.ListWorkersRequest(), deadline: DateTime.UtcNow + TimeSpan.FromSeconds(30))).Json);

    public Task WaitForWorker(string workerId, Func<WorkerView, bool>? matching = null) =>
        Poll.Until(
            async () => (await ListWorkers()).Workers.Any(w => w.WorkerId == workerId && (matching?.Invoke(w) ?? true)),
            GiveUpAfter, $"worker {workerId} to register");

    public Task WaitForNoWorker(string workerId) =>
        Poll.Until(async () => !(await ListWorkers()).Workers.Any(w => w.WorkerId == workerId),
            GiveUpAfter, $"worker {workerId} to be no longer registered");

    /// <summary>Opens a raw session and says hello as <paramref name="workerId"/> with <paramref name="key"/>, answering its challenge.</summary>
    public async Task<RawSession> Hello(WorkerKey key, string workerId, double pricePerHour = 100)
    {
        var session = await RawSession.Open(Workers);
        await session.Send(new V1.WorkerMessage { Hello = RawSession.Hello(key, workerId, session.Nonce, Edge.Fingerprint, session.ChainId, pricePerHour) });
        return session;
    }

    /// <summary>A raw session that was welcomed; its price (100 per hour, above any test job's cap) keeps the scheduler from granting it work.</summary>
    public async Task<(RawSession Session, string Token)> Welcomed(WorkerKey key, string workerId)
    {
        var session = await Hello(key, workerId);
        var answer = await session.Registration();
        Assert.True(answer.BodyCase == V1.EdgeMessage.BodyOneofCase.Welcome, $"{workerId} was not welcomed: {answer}");
        return (session, answer.Welcome.SessionToken);
    }

    private sealed class WarningCollector : ReceiveActor
    {
        public WarningCollector(ConcurrentQueue<string> into) => Receive<Warning>(w => into.Enqueue(w.Message?.ToString() ?? ""));
    }
}

/// <summary>A worker session played by hand: whatever messages the protocol lets a worker write.</summary>
public sealed class RawSession : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<V1.WorkerMessage, V1.EdgeMessage> _call;
    private readonly Channel<V1.EdgeMessage> _inbox = System.Threading.Channels.Channel.CreateUnbounded<V1.EdgeMessage>();
    private readonly Task _pump;
    private readonly CancellationTokenSource _stop = new();

    private RawSession(AsyncDuplexStreamingCall<V1.WorkerMessage, V1.EdgeMessage> call)
    {
        _call = call;
        _pump = Task.Run(async () =>
        {
            try
            {
                while (await _call.ResponseStream.MoveNext(_stop.Token)) _inbox.Writer.TryWrite(_call.ResponseStream.Current);
            }
            catch (RpcException e)
            {
                Ended = e.Status;
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _inbox.Writer.TryComplete();
            }
        });
    }

    /// <summary>The hex nonce of the edge's challenge, and the chain id it names.</summary>
    public string Nonce { get; private set; } = "";
    public int ChainId { get; private set; }

    /// <summary>How the edge ended the stream (null while open or when it ended with OK).</summary>
    public Status? Ended { get; private set; }

    public static async Task<RawSession> Open(V1.WorkerEdge.WorkerEdgeClient client)
    {
        var session = new RawSession(client.Session());
        var first = await session.Next(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException($"the edge sent no challenge ({session.Ended})");
        Assert.Equal(V1.EdgeMessage.BodyOneofCase.Challenge, first.BodyCase);
        session.Nonce = Convert.ToHexStringLower(first.Challenge.Nonce.Span);
        session.ChainId = first.Challenge.ChainId;
        return session;
    }

    /// <summary>A hello with a profile signed by <paramref name="key"/> that signs the session claim for <paramref name="nonce"/>.</summary>
    public static V1.Hello Hello(WorkerKey key, string workerId, string nonce, string fingerprint, int chainId, double pricePerHour = 100,
                                 long? issuedAtUnixMs = null, ClaimDomain? network = null)
    {
        var profile = new CapabilityClaim(workerId, key.Address, "cpu", 1, 1, WorkerOptions.NumericClassFor(1), pricePerHour, 0, 0,
            issuedAtUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), network);
        return new V1.Hello
        {
            WorkerId = workerId, Address = key.Address, Device = profile.Device, MemoryGb = profile.MemoryGb, Threads = profile.Threads,
            NumericClass = profile.NumericClass, PricePerHour = pricePerHour, Throughput = 0, BandwidthMbps = 0,
            ProfileSignature = ClaimSigner.Sign(key, profile), ProfileIssuedAtMs = profile.IssuedAtUnixMs,
            SessionSignature = ClaimSigner.Sign(key, new WorkerSessionClaim(workerId, nonce, fingerprint, chainId)),
        };
    }

    public Task Send(V1.WorkerMessage message) => _call.RequestStream.WriteAsync(message);

    /// <summary>The edge's next message; null once the stream has ended; throws TimeoutException when nothing came.</summary>
    public async Task<V1.EdgeMessage?> Next(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            return await _inbox.Reader.WaitToReadAsync(wait.Token) && _inbox.Reader.TryRead(out var message) ? message : null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the edge sent nothing within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>The registry's answer to the hello: a Welcome or a Refused.</summary>
    public async Task<V1.EdgeMessage> Registration(TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await Next(timeout ?? TimeSpan.FromSeconds(30))
                          ?? throw new InvalidOperationException($"the session ended before the registration was answered ({Ended})");
            if (message.BodyCase is V1.EdgeMessage.BodyOneofCase.Welcome or V1.EdgeMessage.BodyOneofCase.Refused) return message;
        }
    }

    /// <summary>How the edge ended the stream: waits for the end, skipping whatever else it sends.</summary>
    public async Task<Status> EndedWith(TimeSpan timeout)
    {
        await _pump.WaitAsync(timeout);
        return Ended ?? _call.GetStatus();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
        }
        try
        {
            // The edge ends its side once it has seen ours end (and forgotten the session).
            await _pump.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        await _stop.CancelAsync();
        _call.Dispose();
        _stop.Dispose();
    }

    public static ByteString RandomHash() => ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
}

/// <summary>This process's listening TCP ports (Linux: sockets of /proc/self/fd in /proc/net/tcp{,6}; elsewhere all of the machine's).</summary>
public static class Listeners
{
    public static HashSet<int> OfThisProcess()
    {
        if (!OperatingSystem.IsLinux())
            return System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(e => e.Port).ToHashSet();
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            catch (IOException)
            {
                // The descriptor closed meanwhile.
            }
        }
        var ports = new HashSet<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length < 10 || columns[3] != "0A" || !inodes.Contains(columns[9])) continue;
                ports.Add(Convert.ToInt32(columns[1][(columns[1].LastIndexOf(':') + 1)..], 16));
            }
        }
        return ports;
    }
}

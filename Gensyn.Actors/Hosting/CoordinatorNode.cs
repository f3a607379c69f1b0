using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Gensyn.Actors.Blobs;
using Akka.Routing;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Actors.Verification;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;

namespace Gensyn.Actors;

/// <summary>
/// A coordinator process: a cluster member hosting the sharded JobActors, the scheduler, job-catalog and settlement
/// singletons, a pool of verifiers (judging work here unless verifier nodes have joined) and a blob store. Workers and requesters never reach it
/// directly: they meet its edge (Gensyn.Edge), which is given <see cref="Gateway"/>, <see cref="Registry"/> and <see cref="Store"/>.
/// </summary>
public sealed class CoordinatorNode : IAsyncDisposable
{
    public const string Role = "coordinator";

    /// <summary>A node started with <c>--role verifier</c>: a cluster member that only runs a verifier pool.</summary>
    public const string VerifierRole = "verifier";

    /// <summary>HOCON: how many verifiers (each with its own training thread and loaded job) a coordinator runs.</summary>
    public const string VerifiersSetting = "gensyn.verifiers";

    private readonly TrainingThread _thread;

    private CoordinatorNode(ActorSystem system, TrainingThread thread, CoordinatorOptions options, ClusterCertificate certificate, BlobStore store,
                            IActorRef? gateway = null, IActorRef? registry = null)
    {
        System = system;
        _thread = thread;
        Options = options;
        Certificate = certificate;
        Store = store;
        Gateway = gateway ?? ActorRefs.Nobody;
        Registry = registry ?? ActorRefs.Nobody;
    }

    public ActorSystem System { get; }

    /// <summary>The requesters' router (/user/jobs): the edge translates requester calls into messages for it.</summary>
    public IActorRef Gateway { get; }

    /// <summary>The scheduler singleton's proxy: worker sessions register with it.</summary>
    public IActorRef Registry { get; }

    /// <summary>This node's content-addressed blob store.</summary>
    public BlobStore Store { get; }
    public CoordinatorOptions Options { get; }

    /// <summary>The certificate this node presents to the other cluster members (its file is what the next member needs).</summary>
    public ClusterCertificate Certificate { get; }
    public string Address => $"{Options.Host}:{Cluster.Get(System).SelfAddress.Port}";

    public static CoordinatorNode Start(CoordinatorOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var certificate = ClusterCertificate.LoadOrCreate(options.DataDirectory, options.ClusterCertificate, options.Joining, options.ClusterCa);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.CoordinatorSetup(options, certificate));
        var thread = new TrainingThread("coordinator-training");
        try
        {
            return Start(system, thread, options, certificate);
        }
        catch (Exception e) when (e is not ClusterCertificateException && StoppedWhileStarting(system))
        {
            // A refused handshake with a seed shuts the ActorSystem down at once, possibly while the actors above are
            // still being created: say why it stopped, not which actor could not be created.
            var refused = NotJoined(system, options, certificate);
            thread.Dispose();
            certificate.Dispose();
            throw refused;
        }
    }

    private static bool StoppedWhileStarting(ActorSystem system) => system.WhenTerminated.Wait(TimeSpan.FromSeconds(10));

    private static CoordinatorNode Start(ActorSystem system, TrainingThread thread, CoordinatorOptions options, ClusterCertificate certificate)
    {
        thread.WarmUp();
        var store = new BlobStore(Path.Combine(options.DataDirectory, "blobs"));
        // Pricing, limits and sessions find a module a requester uploaded here by its hash.
        Training.Models.TorchScript.TorchScriptModules.AddSource(hash => store.Contains(hash) ? store.Get(hash) : null);
        system.ActorOf(BlobSweeper.Props(store, BlobSettings.From(system.Settings.Config)), BlobSweeper.Name);
        var pool = system.ActorOf(VerifierActor.Props(store, options.DataDirectory)
            .WithRouter(new RoundRobinPool(Math.Max(1, system.Settings.Config.GetInt(VerifiersSetting, 2)))),
            VerifierActor.PoolName);
        if (options.Role == VerifierRole)
        {
            // A verifier node only lends its verifiers to the coordinators (it fetches the states it judges from them);
            // it still takes part in the members' publish-subscribe gossip.
            Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system);
            return new CoordinatorNode(system, thread, options, certificate, store);
        }
        var blobs = system.ActorOf(BlobActor.Props(store), "blobs");

        var chain = options.Chain;
        Func<string, Task<string?>>? stakeProblem = chain is null ? null : async address => await (await chain.WithinAsync(TimeSpan.FromSeconds(30))).StakeProblemAsync(address);
        // The registry and the conviction board tell each other (convicted keys get no work): the board's proxy first.
        var convictions = SingletonProxy(system, ConvictionBoard.SingletonName, "convictions-proxy");
        // Each coordinator schedules the workers on its own edge; the registry singleton admits them and tells their
        // node's scheduler. The registry's proxy first, as the scheduler reports dropped workers to it.
        var registry = SingletonProxy(system, WorkerRegistry.SingletonName, "workers");
        var scheduler = system.ActorOf(Scheduling.Scheduler.Props(
            RegistrationLimits.From(system.Settings.Config).Throughput, registry, clustered: true), Scheduling.Scheduler.Name);
        SingletonManager(system, WorkerRegistry.Props(stakeProblem, NetworkDomain.Of(chain), convictions,
            schedulers: Scheduling.SchedulerRouting.For(system, scheduler)), WorkerRegistry.SingletonName);
        var catalog = Singleton(system, JobCatalog.Props(), JobCatalog.SingletonName, "job-catalog-proxy");
        SingletonManager(system, ConvictionBoard.Props(catalog, () => ClusterSharding.Get(system).ShardRegion("job"),
            PurgeSettings.From(system.Settings.Config), registry), ConvictionBoard.SingletonName);
        var verifiers = system.ActorOf(VerifierDispatch.Props(pool), "verifier-dispatch");
        // The settlement singleton reports to the job region, which sends it orders: its proxy comes first, its manager last.
        var settlement = chain is null ? null : SingletonProxy(system, SettlementActor.SingletonName, "settlement-proxy");
        var compute = new JobCompute(thread, store, options.DataDirectory,
            Contracts.Datasets.PackedDataSettings.From(system.Settings.Config));
        var services = new JobServices(compute, store, blobs, scheduler, catalog, verifiers, settlement,
            NetworkDomain.Of(chain), convictions, options.ChallengeFaults, VerifierPreparation: verifiers);
        var region = ClusterSharding.Get(system).Start("job", _ => JobActor.Props(services),
            ClusterShardingSettings.Create(system).WithRole(Role).WithRememberEntities(true), new JobMessageExtractor());
        if (chain is not null) SingletonManager(system, SettlementActor.Props(chain, region, options.SettlementFaults), SettlementActor.SingletonName);
        var gateway = system.ActorOf(JobsGateway.Props(region, catalog, scheduler, chain, settlement), JobsGateway.Name);

        var cluster = Cluster.Get(system);
        if (options.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        return new CoordinatorNode(system, thread, options, certificate, store, gateway, registry);
    }

    /// <summary>
    /// Completes once this node is Up in the cluster; fails with <see cref="ClusterCertificateException"/> if its
    /// ActorSystem stops first, which is what Akka.Remote does when a TLS handshake with a seed fails.
    /// </summary>
    public Task WhenUp()
    {
        var up = new TaskCompletionSource();
        Cluster.Get(System).RegisterOnMemberUp(() => up.TrySetResult());
        System.WhenTerminated.ContinueWith(_ => up.TrySetException(NotJoined(System, Options, Certificate)), TaskScheduler.Default);
        return up.Task;
    }

    private static ClusterCertificateException NotJoined(ActorSystem system, CoordinatorOptions options, ClusterCertificate certificate)
    {
        var seeds = string.Join(", ", options.Seeds);
        const string remedy = "copy the first coordinator's DATA_DIR/tls/cluster.pfx and pass --cluster-cert FILE";
        // Either side may refuse first: this node's validator (then it knows which certificate it saw), or the seed's,
        // which this node sees only as a failed handshake, after which Akka.Remote shuts the ActorSystem down.
        if (certificate.LastRefusal is { } refusal)
            return new ClusterCertificateException($"this node could not join the cluster at {seeds}: it {refusal}; {remedy}");
        // Akka.Remote keeps its reason type internal: matched by name, and a rename only costs the precise message.
        if (CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name == "TlsHandshakeFailureReason")
            return new ClusterCertificateException($"the cluster at {seeds} refused this node's certificate {certificate.File} (the TLS handshake failed); {remedy}");
        return new ClusterCertificateException($"this node stopped before it joined the cluster at {seeds} (the log says why); if the cluster refused its certificate, {remedy}");
    }

    private static IActorRef Singleton(ActorSystem system, Props props, string name, string proxyName)
    {
        SingletonManager(system, props, name);
        return SingletonProxy(system, name, proxyName);
    }

    private static void SingletonManager(ActorSystem system, Props props, string name) =>
        system.ActorOf(ClusterSingletonManager.Props(props, PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system).WithRole(Role)), name);

    private static IActorRef SingletonProxy(ActorSystem system, string name, string proxyName) =>
        system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", ClusterSingletonProxySettings.Create(system).WithRole(Role)), proxyName);

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        _thread.Dispose();
        Certificate.Dispose();
    }

    /// <summary>Routes job commands by job id over a fixed number of shards.</summary>
    private sealed class JobMessageExtractor() : HashCodeMessageExtractor(30)
    {
        public override string? EntityId(object message) => message is IJobCommand c ? c.JobId : null;
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Streams;
using Gensyn.Actors;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>No coordinator answered in time.</summary>
public sealed class CoordinatorUnavailableException(string message) : Exception(message);

/// <summary>
/// The requester's connection: a small remoting-only actor system and a ClusterClient to the
/// coordinators' receptionist. Requests go to /user/jobs on whichever coordinator answers.
/// </summary>
public sealed class CoordinatorClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("GENSYN_TIMEOUT_SECONDS"), out var s) && s > 0 ? s : 10);

    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private readonly string _endpoints;

    private CoordinatorClient(ActorSystem system, IActorRef client, string endpoints)
    {
        _system = system;
        _client = client;
        _endpoints = endpoints;
        Materializer = system.Materializer();
    }

    public IMaterializer Materializer { get; }

    public static CoordinatorClient Connect(string coordinators)
    {
        var endpoints = ClusterCli.ParseEndpoints(coordinators, "--coordinator");
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(logLevel: "WARNING"));
        var contacts = endpoints.Select(e => ActorPath.Parse($"akka.tcp://{NodeConfig.SystemName}@{e}/system/receptionist")).ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "client");
        return new CoordinatorClient(system, client, string.Join(", ", endpoints));
    }

    /// <summary>Sends a request to the jobs gateway and waits for its answer.</summary>
    public async Task<IGensynMessage> Ask(IGensynMessage request, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await _client.Ask<IGensynMessage>(new ClusterClient.Send(JobsGateway.ServicePath, request), limit);
        }
        catch (AskTimeoutException)
        {
            throw new CoordinatorUnavailableException(
                $"no coordinator answered at {_endpoints} within {limit.TotalSeconds:0} s; start one with `./gensyn node` or point --coordinator (or GENSYN_COORDINATOR) at a running one");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The command's output is complete; Akka's last words while shutting down belong on stderr,
        // so that stdout stays one clean JSON document for --json.
        await Console.Out.FlushAsync();
        Console.SetOut(Console.Error);
        await CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}

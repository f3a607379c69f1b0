using Akka.Actor;
using Gensyn.Actors.Workers;

namespace Gensyn.Actors;

/// <summary>A provider's worker process: remoting only, one <see cref="WorkerActor"/>.</summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private WorkerNode(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    public static WorkerNode Start(WorkerOptions options, int port = 0, string host = "127.0.0.1", bool serializeMessages = false)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(port, host, serializeMessages));
        system.ActorOf(WorkerActor.Props(options), "worker");
        return new WorkerNode(system);
    }

    public async ValueTask DisposeAsync() => await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
}

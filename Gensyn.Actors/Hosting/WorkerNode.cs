using Akka.Actor;
using Gensyn.Actors.Workers;

namespace Gensyn.Actors;

/// <summary>
/// A provider's worker process: a local actor system (no remoting: nothing listens) with one <see cref="WorkerActor"/>, which reaches the
/// coordinators through <paramref name="link"/>.
/// </summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private WorkerNode(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    public static WorkerNode Start(WorkerOptions options, ICoordinatorLink link, bool serializeMessages = false)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Local(serializeMessages));
        system.ActorOf(WorkerActor.Props(options, link), "worker");
        return new WorkerNode(system);
    }

    public async ValueTask DisposeAsync() => await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
}

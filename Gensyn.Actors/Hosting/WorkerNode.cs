using Akka.Actor;
using Gensyn.Actors.Workers;

namespace Gensyn.Actors;

/// <summary>A provider's worker process: remoting only, one <see cref="WorkerActor"/>.</summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private readonly TaskCompletionSource<string> _quarantined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerNode(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    /// <summary>Completes (with the reason) when remoting to a coordinator is quarantined; the host should start a fresh node.</summary>
    public Task<string> Quarantined => _quarantined.Task;

    public static WorkerNode Start(WorkerOptions options, int port = 0, string host = "127.0.0.1", bool serializeMessages = false)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(port, host, serializeMessages));
        var node = new WorkerNode(system);
        system.ActorOf(QuarantineWatcher.Props(node._quarantined), "quarantine-watcher");
        system.ActorOf(WorkerActor.Props(options), "worker");
        return node;
    }

    public async ValueTask DisposeAsync() => await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
}

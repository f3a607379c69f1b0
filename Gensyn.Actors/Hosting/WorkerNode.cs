using Akka.Actor;
using Akka.Actor.Dsl;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors;

/// <summary>
/// A provider's worker process: a local actor system (no remoting: nothing listens) with one <see cref="WorkerActor"/>, which reaches the
/// coordinators through <paramref name="link"/>.
/// </summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private WorkerNode(ActorSystem system, Task<WorkerRefused> refusedForGood)
    {
        System = system;
        RefusedForGood = refusedForGood;
    }

    public ActorSystem System { get; }

    /// <summary>
    /// Completes when the coordinators refuse the worker for good (<see cref="WorkerRefused.Final"/>): the worker has
    /// stopped, and the process should exit with the reason.
    /// </summary>
    public Task<WorkerRefused> RefusedForGood { get; }

    public static WorkerNode Start(WorkerOptions options, ICoordinatorLink link, bool serializeMessages = false)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Local(serializeMessages));
        var refused = new TaskCompletionSource<WorkerRefused>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(
            act => act.Receive<WorkerRefused>((r, _) => refused.TrySetResult(r)), "refusals");
        system.EventStream.Subscribe(listener, typeof(WorkerRefused));
        system.ActorOf(WorkerActor.Props(options, link), "worker");
        return new WorkerNode(system, refused.Task);
    }

    public async ValueTask DisposeAsync() => await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
}

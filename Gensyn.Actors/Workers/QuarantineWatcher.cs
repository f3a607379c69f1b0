using Akka.Actor;
using Akka.Remote;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Reports when remoting between this worker and a coordinator is quarantined (after a missed heartbeat
/// under load, or a coordinator that restarted): a quarantined actor system can never talk to that peer
/// again, so the worker's host starts a fresh one and the worker registers anew.
/// </summary>
public sealed class QuarantineWatcher : ReceiveActor
{
    public static Props Props(TaskCompletionSource<string> quarantined) => Akka.Actor.Props.Create(() => new QuarantineWatcher(quarantined));

    public QuarantineWatcher(TaskCompletionSource<string> quarantined)
    {
        Receive<ThisActorSystemQuarantinedEvent>(e => quarantined.TrySetResult($"{e.RemoteAddress} quarantined this worker"));
        Receive<QuarantinedEvent>(e => quarantined.TrySetResult($"this worker quarantined {e.Address}"));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(QuarantinedEvent));
    }
}

using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Gensyn.Contracts.Messages;

namespace Gensyn.Edge.Dashboard;

/// <summary>Hands the cluster's job changes (<see cref="JobChanged.Topic"/>) to this edge's <see
/// cref="LiveHub"/>.</summary>
public sealed class LiveFeed : ReceiveActor
{
    public static Props Props(LiveHub hub) => Akka.Actor.Props.Create(() => new LiveFeed(hub));

    public LiveFeed(LiveHub hub)
    {
        Receive<SubscribeAck>(_ => { });
        Receive<JobChanged>(hub.Changed);
    }

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(JobChanged.Topic, Self));
}

using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Routing;
using Akka.Routing;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Where a coordinator sends verification work: to the verifier pools of the nodes started with
/// <c>--role verifier</c>, round-robin, while at least one is up; else to its own pool. Replies go straight
/// back to the asking ShardActor.
/// </summary>
public sealed class VerifierDispatch : ReceiveActor
{
    public static Props Props(IActorRef localPool) => Akka.Actor.Props.Create(() => new VerifierDispatch(localPool));

    public VerifierDispatch(IActorRef localPool)
    {
        var cluster = Cluster.Get(Context.System);
        var remote = Context.ActorOf(Akka.Actor.Props.Empty.WithRouter(new ClusterRouterGroup(new RoundRobinGroup([$"/user/{VerifierActor.PoolName}"]),
            new ClusterRouterGroupSettings(1000, [$"/user/{VerifierActor.PoolName}"], allowLocalRoutees: false, useRole: CoordinatorNode.VerifierRole))), "remote");
        ReceiveAny(message =>
        {
            var verifierUp = cluster.State.Members.Any(m => m.Status == MemberStatus.Up && m.HasRole(CoordinatorNode.VerifierRole));
            (verifierUp ? remote : localPool).Forward(message);
        });
    }
}

using Akka.Actor;
using Akka.Cluster;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// Which coordinator's scheduler holds a worker: the one of the node its session (the ref it registered with) lives on,
/// when that node is a coordinator that is up; otherwise (a worker outside the cluster's members, as in tests) this
/// node's own.
/// </summary>
public static class SchedulerRouting
{
    public static Func<IActorRef, ICanTell> For(ActorSystem system, IActorRef local) => worker =>
    {
        var address = worker.Path.Address;
        if (address.HasLocalScope) return local;
        var cluster = Cluster.Get(system);
        if (address == cluster.SelfAddress) return local;
        var member = cluster.State.Members.FirstOrDefault(m => m.Address == address);
        return member is { Status: MemberStatus.Up } && member.HasRole(CoordinatorNode.Role)
            ? system.ActorSelection(new RootActorPath(address) / "user" / Scheduler.Name)
            : local;
    };
}

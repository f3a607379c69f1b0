using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>Tells live views (<see cref="JobChanged.Topic"/>) which kinds of events a job just journalled.</summary>
public static class JobNotices
{
    public static void Publish(ActorSystem system, JobId job, IReadOnlyList<IJobEvent> events)
    {
        var what = events.Select(KindOf).Distinct().ToList();
        // Live views follow a cluster; an actor system without one (a unit test's) has no topic to publish on.
        if (what.Count == 0 || ((ExtendedActorSystem)system).Provider is not Akka.Cluster.ClusterActorRefProvider) return;
        var change = new JobChanged(job, what, DateTimeOffset.UtcNow);
        DistributedPubSub.Get(system).Mediator.Tell(new Publish(JobChanged.Topic, change));
    }

    /// <summary>The kind of change an event stands for, as a live view names it.</summary>
    public static string KindOf(IJobEvent e) => e switch
    {
        RoundCompleted => "round",
        ShardVerified => "verdict",
        SettlementPosted => "settlement",
        JobSubmitted or RoundStarted or JobCompleted or JobFailed or JobCancelled or JobReopened => "state",
        ShardAssigned or ShardReleased or ShardCompleted or ReplicaSealed => "shard",
        ResultRevoked or RoundsRolledBack or AuditDue => "purge",
        _ => "job",
    };
}

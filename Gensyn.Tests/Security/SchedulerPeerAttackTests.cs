using Akka.Actor;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Security;

/// <summary>
/// A scheduler hands waiting shards only to the schedulers of coordinators it knows: an actor that is not one of its
/// peers and claims to hold an idle worker (a forged <see cref="SchedulerSupply"/>) gets no shard, and its workers
/// appear nowhere in the network's lists or market.
/// </summary>
public class SchedulerPeerAttackTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task A_supply_from_an_actor_that_is_not_a_peer_is_ignored_and_no_shard_is_handed_to_it()
    {
        var scheduler = Sys.ActorOf(Scheduler.Props(new ThroughputCheck(), CreateTestProbe().Ref));
        var stranger = CreateTestProbe();
        var idle = new WorkerView("bait", "cpu", 64, 8, "cpu-x64-libtorch2.10-t1", 0.01, "idle", 1, null, 0,
            $"0x{7:x40}", Throughput: 10_000, BandwidthMbps: 1_000);
        var shard = CreateTestProbe();

        scheduler.Tell(new SchedulerSupply([idle], []), stranger.Ref);
        scheduler.Tell(new RequestWorker((JobId)"job-0123abcd", 0, 0, shard.Ref));

        shard.FishForMessage(m => m is WorkerWaiting, TimeSpan.FromSeconds(5));
        stranger.ExpectNoMsg(TimeSpan.FromSeconds(1));
        var listed = await scheduler.Ask<WorkerList>(new ListWorkers(), TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(listed.Workers, w => w.WorkerId == "bait");
        // The same supply from a known peer does take the shard: the refusal above is the peer check's.
        scheduler.Tell(new Scheduler.PeerUp(stranger.Ref));
        scheduler.Tell(new SchedulerSupply([idle], []), stranger.Ref);
        var handed = (RequestsHandedOver)stranger.FishForMessage(m => m is RequestsHandedOver, TimeSpan.FromSeconds(5));
        Assert.Equal(shard.Ref, handed.Requests.Single().Requester);
    }
}

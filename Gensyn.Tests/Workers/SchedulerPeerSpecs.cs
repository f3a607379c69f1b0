using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>
/// Two coordinators' schedulers that know each other (as <see cref="Scheduler.PeerUp"/> tells them; in a cluster, its
/// members): each holds its own node's workers and shards, hands a shard it cannot serve to the one with an idle worker
/// the shard may have, and never grants one worker twice.
/// </summary>
public class SchedulerPeerSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-0123abcd";
    private const string Class = "cpu-x64-libtorch2.10-t1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly TestProbe _registry;
    private readonly IActorRef _a;
    private readonly IActorRef _b;

    public SchedulerPeerSpecs()
    {
        _registry = CreateTestProbe();
        _a = Sys.ActorOf(Scheduler.Props(new ThroughputCheck(), _registry.Ref), "scheduler-a");
        _b = Sys.ActorOf(Scheduler.Props(new ThroughputCheck(), _registry.Ref), "scheduler-b");
        _a.Tell(new Scheduler.PeerUp(_b));
        _b.Tell(new Scheduler.PeerUp(_a));
    }

    private TestProbe Admitted(IActorRef scheduler, string id, string address)
    {
        var worker = CreateTestProbe();
        scheduler.Tell(new WorkerAdmitted(new RegisterWorker((WorkerId)id, worker.Ref, "cpu", 16, 1, Class, 0.2, address, 640, 100)));
        return worker;
    }

    private static RequestWorker Ask(TestProbe shard, int index = 0, IReadOnlyList<string>? excludeAddresses = null,
                                     bool replicated = false) =>
        new((JobId)JobId, 0, index, shard.Ref, ExcludeAddresses: excludeAddresses, Replicated: replicated);

    private static string Key(int i) => $"0x{i:x40}";

    /// <summary>The grant <paramref name="shard"/> hears (after a notice of why it waits, if one came first).</summary>
    private static WorkerGranted Granted(TestProbe shard) => shard.FishForMessage<WorkerGranted>(_ => true, Wait);

    private WorkerList Workers(IActorRef scheduler) => scheduler.Ask<WorkerList>(new ListWorkers(), Wait).Result;

    [Fact]
    public void A_shard_waiting_on_a_node_with_no_worker_is_granted_an_idle_worker_of_the_other_node_and_released_through_its_own()
    {
        var worker = Admitted(_b, "remote-worker", Key(1));
        var shard = CreateTestProbe();

        _a.Tell(Ask(shard));

        var granted = Granted(shard);
        Assert.Equal("remote-worker", granted.WorkerId);
        Assert.Equal(worker.Ref, granted.Worker);
        Assert.Equal(_b, shard.LastSender);
        AwaitAssert(() => Assert.Equal("busy", Workers(_b).Workers.Single().State), Wait);

        // The shard speaks to its own node's scheduler only; the release reaches the scheduler that granted the worker.
        _a.Tell(new ReleaseWorker(granted.WorkerId, shard.Ref, Completed: true), shard.Ref);
        AwaitAssert(() => Assert.Equal("idle", Workers(_b).Workers.Single().State), Wait);
        Assert.Equal(1, Workers(_b).Workers.Single().CompletedShards);

        // Asked again, it gets the worker again: nothing was left granted on either node.
        _a.Tell(Ask(shard));
        Assert.Equal("remote-worker", Granted(shard).WorkerId);
    }

    [Fact]
    public async Task Each_node_lists_and_prices_the_whole_network_and_a_verdict_counts_for_the_key_on_both()
    {
        Admitted(_a, "local-worker", Key(1));
        Admitted(_b, "remote-worker", Key(2));

        AwaitAssert(() => Assert.Equal(["local-worker", "remote-worker"],
            Workers(_a).Workers.Select(w => w.WorkerId).Order(StringComparer.Ordinal)), Wait);
        AwaitAssert(() => Assert.Equal(2, Workers(_b).Workers.Count), Wait);
        var market = await _a.Ask<MarketView>(new GetMarket(), Wait);
        Assert.Equal(2, market.Classes.Single().Registered);

        // A verdict told to one node counts for the key on the node that holds its worker.
        _a.Tell(new WorkerJudged((WorkerId)"remote-worker", Accepted: true, Key(2)));
        AwaitAssert(() => Assert.Equal(1, Workers(_b).Workers.Single(w => w.WorkerId == "remote-worker").HonestStreak), Wait);
    }

    [Fact]
    public void A_shard_is_never_handed_to_a_worker_it_excludes_and_one_worker_is_granted_to_one_shard_at_a_time()
    {
        Admitted(_b, "remote-worker", Key(1));
        var excluding = CreateTestProbe();
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        _a.Tell(Ask(excluding, 0, excludeAddresses: [Key(1)]));
        _a.Tell(Ask(first, 1));
        _a.Tell(Ask(second, 2));

        Assert.Equal("remote-worker", Granted(first).WorkerId);
        excluding.FishForMessage(m => m is WorkerWaiting, Wait);
        second.FishForMessage(m => m is WorkerWaiting, Wait);
        excluding.ExpectNoMsg(TimeSpan.FromSeconds(1));
        second.ExpectNoMsg(TimeSpan.Zero);

        // Once the first shard lets it go, the next shard that may have it gets it; the excluding one still waits.
        _a.Tell(new ReleaseWorker((WorkerId)"remote-worker", first.Ref, Completed: true), first.Ref);
        Assert.Equal("remote-worker", Granted(second).WorkerId);
        excluding.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Both_replicas_of_a_shard_go_to_the_node_with_idle_workers_of_two_keys()
    {
        Admitted(_b, "remote-1", Key(1));
        Admitted(_b, "remote-2", Key(2));
        var one = CreateTestProbe();
        var two = CreateTestProbe();

        _a.Tell(Ask(one, 3, replicated: true));
        _a.Tell(Ask(two, 3, replicated: true));

        var seats = new[] { Granted(one), Granted(two) };
        Assert.Equal([Key(1), Key(2)], seats.Select(s => s.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_new_worker_is_told_to_the_peers_but_its_re_registrations_are_not()
    {
        var peer = CreateTestProbe();
        _a.Tell(new Scheduler.PeerUp(peer.Ref));
        peer.FishForMessage(m => m is SchedulerSupply, Wait);
        var worker = CreateTestProbe();
        var profile = new RegisterWorker((WorkerId)"steady", worker.Ref, "cpu", 16, 1, Class, 0.2, Key(1), 640, 100);

        _a.Tell(new WorkerAdmitted(profile));
        var told = (SchedulerSupply)peer.FishForMessage(m => m is SchedulerSupply, Wait);
        Assert.Equal("steady", told.Workers.Single().WorkerId);

        // Re-registered every few seconds, it changes nothing: the peer hears no more until the 2 s heartbeat.
        for (var i = 0; i < 5; i++) _a.Tell(new WorkerAdmitted(profile));
        peer.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_shard_handed_to_a_node_that_leaves_waits_again_on_its_own_node()
    {
        var shard = CreateTestProbe();
        // The other node says it has an idle worker the shard may have, then goes before granting it.
        var peer = CreateTestProbe();
        _a.Tell(new Scheduler.PeerUp(peer.Ref));
        peer.FishForMessage(m => m is SchedulerSupply, Wait);
        var idle = new WorkerView("far-worker", "cpu", 16, 1, Class, 0.2, "idle", 1, null, 0, Key(9), Throughput: 640,
            BandwidthMbps: 100);
        _a.Tell(new SchedulerSupply([idle], []), peer.Ref);
        _b.Tell(PoisonPill.Instance);

        _a.Tell(Ask(shard));
        var handed = (RequestsHandedOver)peer.FishForMessage(m => m is RequestsHandedOver, Wait);
        Assert.Equal(shard.Ref, handed.Requests.Single().Requester);

        _a.Tell(new Scheduler.PeerDown(peer.Ref.Path.ToStringWithAddress()));
        Admitted(_a, "local-worker", Key(1));
        Assert.Equal("local-worker", Granted(shard).WorkerId);
    }
}

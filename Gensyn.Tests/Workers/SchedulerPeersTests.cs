using Gensyn.Actors.Market;
using Gensyn.Actors.Scheduling;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>
/// Which waiting shards a scheduler hands to which peer (<see cref="SchedulerPeers{TRef}"/>), and the market it shows
/// from its own workers and its peers' supplies.
/// </summary>
public class SchedulerPeersTests
{
    private const string Class = "cpu-x64-libtorch2.10-t1";
    private static readonly DateTime Now = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
    private static readonly SchedulerPeers<string> Fresh = new(TimeSpan.FromSeconds(10));

    private static WorkerView Worker(string id, int key, string state = "idle", double price = 0.2, string device = "cpu") =>
        new(id, device, 16, 1, Class, price, state, 1, state == "idle" ? null : "job-1 round 0 shard 0", 0, $"0x{key:x40}",
            Throughput: 640, BandwidthMbps: 100);

    private static WorkRequest<string> Request(string requester, int shard = 0, bool replicated = false,
                                               IReadOnlyCollection<string>? excludeAddresses = null, ShardNeeds? needs = null) =>
        new((JobId)"job-0123abcd", 0, shard, requester, ExcludeAddresses: excludeAddresses, Needs: needs,
            Replicated: replicated);

    private static IReadOnlyCollection<string> NoSeats(string label) => [];

    [Fact]
    public void A_waiting_shard_goes_to_the_peer_with_the_cheapest_idle_worker_it_may_have_and_each_worker_takes_one()
    {
        var peers = new SchedulerPeers<string>(TimeSpan.FromSeconds(10));
        peers.Supplied("b", new SchedulerSupply([Worker("dear", 1, price: 0.5), Worker("busy", 2, "busy")], []), Now);
        peers.Supplied("c", new SchedulerSupply([Worker("cheap", 3, price: 0.1), Worker("gpu", 4, device: "cuda")], []), Now);

        // In queue order: s3 needs the gpu, which s2 (any device) would otherwise have taken before the dearer cpu.
        var handed = peers.HandOver([Request("s1"), Request("s3", needs: new ShardNeeds("cuda", 0, 1)), Request("s2"), Request("s4")],
            NoSeats, Now);

        var byPeer = handed.ToDictionary(h => h.Peer, h => h.Requests.Select(r => r.Requester).ToList());
        Assert.Equal(["s1", "s3"], byPeer["c"]);
        Assert.Equal(["s2"], byPeer["b"]);
        // s4 finds no idle worker left: it stays; and until the peers say again, nothing more is handed.
        Assert.Empty(peers.HandOver([Request("s4")], NoSeats, Now));
        peers.Supplied("b", new SchedulerSupply([Worker("dear", 1, price: 0.5)], []), Now);
        Assert.Equal("s4", peers.HandOver([Request("s4")], NoSeats, Now).Single().Requests.Single().Requester);
    }

    [Fact]
    public void A_shard_is_not_handed_to_an_excluded_key_nor_to_a_peer_not_heard_from_lately()
    {
        var peers = new SchedulerPeers<string>(TimeSpan.FromSeconds(10));
        peers.Supplied("b", new SchedulerSupply([Worker("cheater", 1)], []), Now);
        peers.Supplied("c", new SchedulerSupply([Worker("silent", 2)], []), Now - TimeSpan.FromSeconds(11));

        var excluding = Request("s1", excludeAddresses: [$"0x{1:X40}"]);
        Assert.Empty(peers.HandOver([excluding], NoSeats, Now));

        // Heard from again, the other peer's worker takes it.
        peers.Supplied("c", new SchedulerSupply([Worker("silent", 2)], []), Now);
        Assert.Equal("c", peers.HandOver([excluding], NoSeats, Now).Single().Peer);
    }

    [Fact]
    public void Two_replicas_go_together_to_a_peer_with_two_keys_and_a_lone_replica_excludes_the_key_seated_here()
    {
        var peers = new SchedulerPeers<string>(TimeSpan.FromSeconds(10));
        peers.Supplied("b", new SchedulerSupply([Worker("b1", 1), Worker("b1-again", 1)], []), Now);
        peers.Supplied("c", new SchedulerSupply([Worker("c1", 2), Worker("c2", 3)], []), Now);

        var pair = peers.HandOver([Request("r1", 5, replicated: true), Request("r2", 5, replicated: true)], NoSeats, Now);
        Assert.Equal("c", pair.Single().Peer);
        Assert.Equal(["r1", "r2"], pair.Single().Requests.Select(r => r.Requester).Order());

        // The other replica holds a seat here, with key 1: the lone one may not go to key 1's workers at b.
        var seated = $"0x{1:x40}";
        Assert.Empty(peers.HandOver([Request("r3", 6, replicated: true)], _ => [seated], Now));
        peers.Supplied("c", new SchedulerSupply([Worker("c1", 2)], []), Now);
        var lone = peers.HandOver([Request("r3", 6, replicated: true)], _ => [seated], Now).Single();
        Assert.Equal("c", lone.Peer);
        Assert.Contains(seated, lone.Requests.Single().ExcludeAddresses!);
    }

    [Fact]
    public void The_market_counts_the_peers_workers_and_queues_with_this_nodes()
    {
        var peers = new SchedulerPeers<string>(TimeSpan.FromSeconds(10));
        peers.Supplied("b", new SchedulerSupply([Worker("b1", 1, price: 0.3), Worker("b2", 2, "busy", price: 0.4)],
            [new QueuedDemand(null, 2)]), Now);
        var local = new SchedulerState<string>();
        local.Register(new WorkerEntry<string>((WorkerId)"a1", "a1", "cpu", 16, 1, Class, 0.1, $"0x{3:x40}", 640, 100));
        local.Enqueue(Request("s1"));

        var cpu = ClearingPrice.Classes(peers.Market(local, Now)).Single();

        Assert.Equal((3, 2, 3), (cpu.Registered, cpu.Idle, cpu.Demand));
        Assert.Equal(0.3, cpu.ClearingPrice);
        Assert.Equal(2, peers.Workers(Now).Count);
        Assert.Equal("a1", Fresh.Market(local, Now).Workers.Single().WorkerId);
    }
}

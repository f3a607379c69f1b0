using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// What a coordinator's scheduler knows of the other coordinators' schedulers, with no actors in it. Each scheduler holds
/// the workers whose sessions are on its own edge and the shards of the jobs its node hosts; it matches them itself
/// (<see cref="SchedulerState{TRef}"/>). What it cannot serve it hands to a peer that said it holds an idle worker the
/// shard may have (<see cref="HandOver"/>), so no worker idles while a shard it could take waits on another node, and
/// each request and each worker is held by exactly one scheduler at a time. The peers' last supplies also make up the
/// market the network shows and prices on (<see cref="Market"/>, <see cref="Workers"/>).
/// </summary>
/// <param name="staleAfter">A peer not heard from for this long counts for nothing (it left, or it is cut off).</param>
public sealed class SchedulerPeers<TRef>(TimeSpan staleAfter) where TRef : notnull
{
    /// <summary>At most this many workers travel in a supply (the idle ones first): it stays far below the message limit.</summary>
    public const int SupplyLimit = 400;

    private sealed class Peer(SchedulerSupply supply, DateTime at)
    {
        public SchedulerSupply Supply { get; } = supply;
        public DateTime At { get; } = at;

        /// <summary>Its idle workers this scheduler handed a shard to since the supply came (taken, as far as it knows).</summary>
        public HashSet<string> Taken { get; } = [];
    }

    private readonly Dictionary<string, Peer> _peers = [];

    /// <summary>A peer's new supply replaces its last one.</summary>
    public void Supplied(string peer, SchedulerSupply supply, DateTime now) => _peers[peer] = new Peer(supply, now);

    /// <summary>The peer left (or was cut off): what it said counts no more.</summary>
    public void Forget(string peer) => _peers.Remove(peer);

    /// <summary>Whether any peer's supply is fresh.</summary>
    public bool Any(DateTime now) => Fresh(now).Any();

    private IEnumerable<(string Key, Peer Peer)> Fresh(DateTime now) =>
        _peers.Where(p => now - p.Value.At < staleAfter).Select(p => (p.Key, p.Value));

    /// <summary>
    /// Which of the <paramref name="waiting"/> requests (in queue order; none of them found a worker here) go to which peer:
    /// each to the peer whose idle worker it may have at the lowest cost; the two replicas of a shard, both waiting here,
    /// together to one peer with idle workers of two keys; a lone replica (the other holds a seat here) with the keys that
    /// hold that seat (<paramref name="seatedAddresses"/>) added to its excluded ones. A worker taken by a hand-over is not
    /// offered again until its scheduler's next supply.
    /// </summary>
    public IReadOnlyList<(string Peer, IReadOnlyList<WorkRequest<TRef>> Requests)> HandOver(
        IReadOnlyList<WorkRequest<TRef>> waiting, Func<string, IReadOnlyCollection<string>> seatedAddresses, DateTime now)
    {
        var offers = Fresh(now).SelectMany(p => p.Peer.Supply.Workers
                .Where(w => w.State == "idle" && !p.Peer.Taken.Contains(w.WorkerId))
                .Select(w => (p.Key, Worker: w, Entry: Entry(w))))
            .OrderBy(o => o.Entry.Cost).ToList();
        var handed = new Dictionary<string, List<WorkRequest<TRef>>>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in waiting)
        {
            if (offers.Count == 0) break;
            if (!request.Replicated)
            {
                var index = offers.FindIndex(o => request.Allows(o.Entry));
                if (index >= 0) Hand(offers, index, request, handed);
                continue;
            }
            if (!done.Add(request.Label)) continue;
            var pair = waiting.Where(r => r.Replicated && r.Label == request.Label).ToList();
            if (pair.Count == 2) HandPair(offers, pair, handed);
            else
            {
                var seated = seatedAddresses(request.Label);
                if (seated.Count == 0) continue;
                var lone = request with { ExcludeAddresses = [.. request.ExcludeAddresses ?? [], .. seated] };
                var index = offers.FindIndex(o => lone.Allows(o.Entry));
                if (index >= 0) Hand(offers, index, lone, handed);
            }
        }
        return handed.Select(h => (h.Key, (IReadOnlyList<WorkRequest<TRef>>)h.Value)).ToList();
    }

    private void Hand(List<(string Key, WorkerView Worker, WorkerEntry<TRef> Entry)> offers, int index,
        WorkRequest<TRef> request, Dictionary<string, List<WorkRequest<TRef>>> handed)
    {
        var (peer, worker, _) = offers[index];
        offers.RemoveAt(index);
        _peers[peer].Taken.Add(worker.WorkerId);
        if (!handed.TryGetValue(peer, out var list)) handed[peer] = list = [];
        list.Add(request);
    }

    /// <summary>Both replicas to the first peer with two idle workers of different keys that they may have.</summary>
    private void HandPair(List<(string Key, WorkerView Worker, WorkerEntry<TRef> Entry)> offers,
        List<WorkRequest<TRef>> pair, Dictionary<string, List<WorkRequest<TRef>>> handed)
    {
        foreach (var peer in offers.Select(o => o.Key).Distinct().ToList())
        {
            var first = offers.FindIndex(o => o.Key == peer && pair[0].Allows(o.Entry));
            if (first < 0) continue;
            var key = offers[first].Entry.RecordKey;
            var second = offers.FindIndex(o => o.Key == peer && o.Entry.RecordKey != key && pair[1].Allows(o.Entry));
            if (second < 0) continue;
            Hand(offers, Math.Max(first, second), pair[second > first ? 1 : 0], handed);
            Hand(offers, Math.Min(first, second), pair[second > first ? 0 : 1], handed);
            return;
        }
    }

    /// <summary>The peers' workers, as they last told them (a worker is on one coordinator only).</summary>
    public IReadOnlyList<WorkerView> Workers(DateTime now) => Fresh(now).SelectMany(p => p.Peer.Supply.Workers).ToList();

    /// <summary>
    /// The whole network's market: <paramref name="local"/>'s workers and queue with the peers' supplies, for the market
    /// view and for pricing (<see cref="Market.ClearingPrice"/>, <see cref="Market.JobPricing"/>); its workers alone
    /// without <paramref name="withQueue"/> (to say why a shard waits).
    /// </summary>
    public SchedulerState<object> Market(SchedulerState<TRef> local, DateTime now, bool withQueue = true)
    {
        var market = new SchedulerState<object>();
        foreach (var w in local.Workers)
        {
            var entry = market.Register(new WorkerEntry<object>(w.WorkerId, new object(), w.Device, w.MemoryGb, w.Threads,
                w.NumericClass, w.Price, w.Address, w.Throughput, w.BandwidthMbps));
            (entry.BusyWith, entry.ObservedThroughput) = (w.BusyWith, w.ObservedThroughput);
        }
        foreach (var request in withQueue ? local.Queue : Array.Empty<WorkRequest<TRef>>())
            market.Enqueue(new WorkRequest<object>(default, 0, 0, new object(), Needs: request.Needs));
        foreach (var (_, peer) in Fresh(now))
        {
            foreach (var v in peer.Supply.Workers)
                market.Register(Entry(v, new object())).BusyWith = v.State == "idle" ? null : v.CurrentShard ?? "busy";
            foreach (var demand in withQueue ? peer.Supply.Queued : Array.Empty<QueuedDemand>())
            for (var i = 0; i < demand.Count; i++)
                market.Enqueue(new WorkRequest<object>(default, 0, 0, new object(), Needs: demand.Needs));
        }
        return market;
    }

    /// <summary>Why <paramref name="request"/> waits on the whole network (<paramref name="network"/>, from
    /// <see cref="Market"/>).</summary>
    public static string WhyWaiting(SchedulerState<object> network, WorkRequest<TRef> request) =>
        network.WhyWaiting(new WorkRequest<object>(request.JobId, request.Round, request.Shard, new object(),
            request.Exclude, request.ExcludeAddresses, request.Needs, request.Replicated));

    /// <summary>
    /// What this scheduler tells its peers: its workers (idle ones first, the cheapest first, at most
    /// <see cref="SupplyLimit"/>) and its queue grouped by needs.
    /// </summary>
    public static SchedulerSupply SupplyOf(SchedulerState<TRef> state, Func<WorkerEntry<TRef>, WorkerView> view) => new(
        state.Workers.OrderBy(w => w.BusyWith is null ? 0 : 1).ThenBy(w => w.Cost).Take(SupplyLimit).Select(view).ToList(),
        state.Queue.GroupBy(q => q.Needs).Select(g => new QueuedDemand(g.Key, g.Count())).ToList());

    private static WorkerEntry<TRef> Entry(WorkerView v) => Entry<TRef>(v, default!);

    private static WorkerEntry<T> Entry<T>(WorkerView v, T reference) where T : notnull =>
        new((WorkerId)v.WorkerId, reference, v.Device, v.MemoryGb, v.Threads, v.NumericClass, v.Price, v.Address,
            v.Throughput, v.BandwidthMbps);
}

using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Scheduling;

// The other coordinators' schedulers: what they hold (SchedulerSupply), the shards handed to them, and who they are.
public sealed partial class Scheduler
{
    /// <summary>How often a changed scheduler tells its peers what it holds; it also does every <see cref="Heartbeat"/>.</summary>
    private static readonly TimeSpan SupplyInterval = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    /// <summary>A peer not heard from for this long counts for nothing.</summary>
    private static readonly TimeSpan PeerStaleAfter = TimeSpan.FromSeconds(10);

    /// <summary>Another coordinator's scheduler joined (outside a cluster, tests tell it).</summary>
    public sealed record PeerUp(IActorRef Peer) : INoSerializationVerificationNeeded;

    /// <summary>Another coordinator's scheduler left or is cut off.</summary>
    public sealed record PeerDown(string Peer) : INoSerializationVerificationNeeded;

    private sealed record SupplyTick : INoSerializationVerificationNeeded;

    private SchedulerPeers<IActorRef> Peers { get; } = new(PeerStaleAfter);

    /// <summary>The peers, by their path.</summary>
    private readonly Dictionary<string, ICanTell> _peers = [];

    /// <summary>Requests handed to a peer, by requester: its later messages go there, and it comes back if the peer goes.</summary>
    private readonly Dictionary<IActorRef, (string Peer, RequestWorker Request)> _handed = [];

    /// <summary>Whether the workers or the queue changed since the peers were last told.</summary>
    private bool _changed;

    private DateTime _lastSupply;

    private static DateTime Now => DateTime.UtcNow;

    private void ReceivePeers(bool clustered)
    {
        Receive<PeerUp>(up => Joined(Key(up.Peer.Path), up.Peer));
        Receive<PeerDown>(down => Left(down.Peer));
        Receive<SchedulerSupply>(supply =>
        {
            if (!_peers.ContainsKey(Key(Sender.Path))) return;
            Peers.Supplied(Key(Sender.Path), supply, Now);
            HandOver();
        });
        Receive<RequestsHandedOver>(handed =>
        {
            foreach (var request in handed.Requests) Request(request);
        });
        Receive<SupplyTick>(_ => Supply());
        if (clustered)
        {
            Receive<ClusterEvent.MemberUp>(up => Member(up.Member, joined: true));
            Receive<ClusterEvent.ReachableMember>(back => Member(back.Member, joined: true));
            Receive<ClusterEvent.MemberRemoved>(removed => Member(removed.Member, joined: false));
            Receive<ClusterEvent.UnreachableMember>(cut => Member(cut.Member, joined: false));
            Receive<ClusterEvent.IMemberEvent>(_ => { });
        }
    }

    protected override void PreStart()
    {
        if (_clustered)
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent),
                typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
    }

    protected override void PostStop()
    {
        if (_clustered) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void Member(Member member, bool joined)
    {
        var cluster = Cluster.Get(Context.System);
        if (member.Address == cluster.SelfAddress || !member.HasRole(CoordinatorNode.Role)) return;
        var path = new RootActorPath(member.Address) / "user" / Name;
        if (joined && member.Status == MemberStatus.Up) Joined(Key(path), Context.ActorSelection(path));
        else if (!joined) Left(Key(path));
    }

    private static string Key(ActorPath path) => path.ToStringWithAddress();

    private void Joined(string key, ICanTell peer)
    {
        _log.Info("Scheduling with the scheduler at {0}", key);
        _peers[key] = peer;
        _changed = true;
        if (_peers.Count == 1) Timers.StartPeriodicTimer("supply", new SupplyTick(), SupplyInterval);
        Supply();
    }

    /// <summary>
    /// The peer is gone: its supply counts no more, and the shards handed to it wait here again (one it had granted a
    /// worker hears that worker is gone, as the worker's session was on that node).
    /// </summary>
    private void Left(string key)
    {
        if (!_peers.Remove(key)) return;
        Peers.Forget(key);
        if (_peers.Count == 0) Timers.Cancel("supply");
        var back = _handed.Where(h => h.Value.Peer == key).ToList();
        _log.Warning("The scheduler at {0} is gone; {1} shard(s) handed to it wait here again", key, back.Count);
        foreach (var (requester, (_, request)) in back)
        {
            _handed.Remove(requester);
            Request(request);
        }
    }

    /// <summary>
    /// Whether <paramref name="requester"/>'s request was handed to a peer: then its message goes there (a release ends
    /// the hand-over).
    /// </summary>
    private bool ForwardedToPeer(IActorRef requester, object message)
    {
        if (!_handed.TryGetValue(requester, out var handed)) return false;
        if (message is RequestWorker request) _handed[requester] = handed with { Request = request };
        else _handed.Remove(requester);
        if (_peers.TryGetValue(handed.Peer, out var peer)) peer.Tell(message, Sender);
        return true;
    }

    /// <summary>Hands the requests no worker here can take to peers with an idle worker they may have.</summary>
    private void HandOver()
    {
        if (_peers.Count == 0 || _state.Queue.Count == 0) return;
        // A shard that waits for its last round's worker here stays (SchedulerState.LocalityWait).
        foreach (var (key, requests) in Peers.HandOver(_state.Unheld(),
                     _state.SeatedAddresses, Now))
        {
            var messages = new List<RequestWorker>();
            foreach (var r in requests)
            {
                _state.Release(r.Requester, completed: false);
                _waiting.Forget(r.Requester);
                var message = new RequestWorker(r.JobId, r.Round, r.Shard, r.Requester, r.Exclude?.ToList(),
                    r.ExcludeAddresses?.ToList(), r.Needs, r.Replicated, r.Preferred);
                _handed[r.Requester] = (key, message);
                messages.Add(message);
            }
            _log.Info("Handed {0} waiting shard(s) to the scheduler at {1}", messages.Count, key);
            _peers[key].Tell(new RequestsHandedOver(messages), Self);
            _changed = true;
        }
    }

    /// <summary>Tells the peers what this scheduler holds, when it changed (or as a heartbeat).</summary>
    private void Supply()
    {
        if (_peers.Count == 0 || (!_changed && Now - _lastSupply < Heartbeat)) return;
        var supply = SchedulerPeers<IActorRef>.SupplyOf(_state, View);
        foreach (var peer in _peers.Values) peer.Tell(supply, Self);
        (_changed, _lastSupply) = (false, Now);
    }

    /// <summary>Why a shard waits, on the whole network's workers while peers are heard; null: on this node's.</summary>
    private Func<WorkRequest<IActorRef>, string>? NetworkReasons()
    {
        if (!Peers.Any(Now)) return null;
        SchedulerState<object>? network = null;
        return request => SchedulerPeers<IActorRef>.WhyWaiting(network ??= Peers.Market(_state, Now, withQueue: false), request);
    }

    private void Relay(SchedulerRelay relay)
    {
        foreach (var peer in _peers.Values) peer.Tell(relay, Self);
    }
}

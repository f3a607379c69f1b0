using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Wire;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Workers;

/// <summary>
/// A connected worker as the cluster sees it: the actor the scheduler grants and the ShardActors assign to, on the coordinator whose edge
/// the worker dialled. It registers the worker's signed profile (again every few seconds, so a new scheduler singleton learns it), pushes
/// assignments, challenges and aborts down the worker's stream, and passes the worker's messages on — only to the ShardActor that assigned
/// that very (job, round, shard, epoch) to this session, always under the session's own worker id. Nothing the worker sends can
/// reach any other actor, or pose as a verdict: the session only forwards the worker's own kinds of message. It stops when the stream
/// ends, and the scheduler and the ShardActors, which watch it, learn at once that the worker is gone.
/// </summary>
public sealed class WorkerSession : ReceiveActor, IWithTimers
{
    /// <summary>A message the worker sent on its stream, already read into a record under this session's worker id.</summary>
    public sealed record FromWorker(IGensynMessage Message) : INoSerializationVerificationNeeded;

    private sealed record Reregister : INoSerializationVerificationNeeded;

    /// <summary>At most this many assignments are remembered (a worker runs one at a time; older ones may still be challenged).</summary>
    private const int MaxOpen = 16;

    private readonly RegisterWorker _profile;
    private readonly IActorRef _registry;
    private readonly ChannelWriter<V1.EdgeMessage> _out;
    private readonly SessionGrant _grant;
    private readonly Func<Sha256Digest, Google.Protobuf.ByteString?> _pushable;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<(string, int, int, int), (IActorRef Shard, IActorRef? Bisector)> _open = [];
    private readonly Queue<(string, int, int, int)> _order = new();
    private string? _refusal;
    private bool _welcomed;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="profile"/>: the worker's signed capability profile (its <c>Worker</c> is replaced by
    /// this actor); <paramref name="pushable"/>: the bytes of a blob to push with the assignment that names it as its
    /// update, or null (<see cref="EdgeContext.Pushable"/>; none: nothing is pushed).</summary>
    public static Props Props(RegisterWorker profile, IActorRef registry, ChannelWriter<V1.EdgeMessage> output,
        SessionGrant grant, Func<Sha256Digest, Google.Protobuf.ByteString?>? pushable = null) =>
        Akka.Actor.Props.Create(() => new WorkerSession(profile, registry, output, grant, pushable));

    public WorkerSession(RegisterWorker profile, IActorRef registry, ChannelWriter<V1.EdgeMessage> output,
        SessionGrant grant, Func<Sha256Digest, Google.Protobuf.ByteString?>? pushable)
    {
        _profile = profile with { Worker = Self };
        _registry = registry;
        _out = output;
        _grant = grant;
        _pushable = pushable ?? (_ => null);

        Receive<Reregister>(_ => _registry.Tell(_profile));
        Receive<WorkerRegistered>(_ =>
        {
            _refusal = null;
            if (_welcomed) return;
            _welcomed = true;
            Push(new V1.EdgeMessage { Welcome = new V1.Welcome { WorkerId = _profile.WorkerId, SessionToken = _grant.Token } });
        });
        Receive<WorkerRefused>(refused =>
        {
            if (_refusal == refused.Reason) return;
            _refusal = refused.Reason;
            Push(WorkerWire.ToWire(refused));
        });

        Receive<ShardAssignment>(a =>
        {
            var key = (a.JobId, a.Round, a.Shard, a.Epoch);
            Remember(key, a.ShardActor);
            Context.Watch(a.ShardActor);
            _grant.AllowRead(a.Spec.Hash, a.Blobs);
            _grant.AllowDataset(a.Spec, a.Blobs);
            _grant.AllowRead(a.StartState, a.Blobs);
            if (a.ResumeFrom is { } resume) _grant.AllowRead(resume, a.Blobs);
            if (a.Delta is { } delta) _grant.AllowRead(delta.Update, a.Blobs);
            // A TorchScript job's module is a blob the spec names (this coordinator parsed the spec when it took the job).
            if (Contracts.Jobs.JobSpecs.Shared.TryGet(a.Spec)?.Model.Module is { } module
                && Contracts.Jobs.DataPaths.IsBlobReference(module))
                _grant.AllowRead(Sha256Digest.Parse(Contracts.Jobs.DataPaths.BlobHex(module)), a.Blobs);
            _grant.AllowUpload(a.Blobs);
            // The round's update goes down with the assignment (the worker rebuilds its start state from it at once).
            Push(WorkerWire.ToWire(a, a.Delta is { } d ? _pushable(d.Update) : null));
        });
        Receive<AbandonShard>(a =>
        {
            Push(WorkerWire.ToWire(a));
            _open.Remove((a.JobId, a.Round, a.Shard, a.Epoch));
        });
        Receive<OpenSteps>(o => { if (Holds(o.JobId, o.Round, o.Shard, o.Epoch)) Push(WorkerWire.ToWire(o)); });
        Receive<RevealShard>(r => { if (Holds(r.JobId, r.Round, r.Shard, r.Epoch)) Push(WorkerWire.ToWire(r)); });
        Receive<BisectQuery>(q =>
        {
            var key = (q.JobId, q.Round, q.Shard, q.Epoch);
            if (!_open.TryGetValue(key, out var open)) return;
            _open[key] = open with { Bisector = Sender };
            Push(WorkerWire.ToWire(q));
        });
        Receive<WorkerLost>(_ => { });
        Receive<Terminated>(t =>
        {
            foreach (var key in _open.Where(kv => kv.Value.Shard.Equals(t.ActorRef)).Select(kv => kv.Key).ToList()) _open.Remove(key);
        });

        Receive<FromWorker>(from => Deliver(from.Message));
    }

    protected override void PreStart()
    {
        _registry.Tell(_profile);
        Timers.StartPeriodicTimer("register", new Reregister(), TimeSpan.FromSeconds(3));
    }

    protected override void PostStop()
    {
        _grant.Close();
        _out.TryComplete();
    }

    private bool Holds(string job, int round, int shard, int epoch) => _open.ContainsKey((job, round, shard, epoch));

    private void Remember((string, int, int, int) key, IActorRef shard)
    {
        if (!_open.ContainsKey(key)) _order.Enqueue(key);
        _open[key] = (shard, null);
        while (_open.Count > MaxOpen && _order.TryDequeue(out var oldest)) _open.Remove(oldest);
    }

    /// <summary>Passes a worker's message to the ShardActor (or bisecting referee) of the assignment it names, if this session holds it.</summary>
    private void Deliver(IGensynMessage message)
    {
        var (job, round, shard, epoch) = message switch
        {
            ShardProgress m => (m.JobId, m.Round, m.Shard, m.Epoch),
            ShardCheckpointed m => (m.JobId, m.Round, m.Shard, m.Epoch),
            ShardResult m => (m.JobId, m.Round, m.Shard, m.Epoch),
            ShardFailed m => (m.JobId, m.Round, m.Shard, m.Epoch),
            StepsOpened m => (m.JobId, m.Round, m.Shard, m.Epoch),
            ShardSealed m => (m.JobId, m.Round, m.Shard, m.Epoch),
            BisectReply m => (m.JobId, m.Round, m.Shard, m.Epoch),
            _ => ("", -1, -1, -1),
        };
        if (!_open.TryGetValue((job, round, shard, epoch), out var open))
        {
            _log.Warning("Worker {0} sent {1} for {2} round {3} shard {4} epoch {5}, which is not assigned to it; dropped",
                _profile.WorkerId, message.GetType().Name, job, round, shard, epoch);
            return;
        }
        var to = message is BisectReply ? open.Bisector : open.Shard;
        to?.Tell(message, Self);
    }

    private void Push(V1.EdgeMessage message)
    {
        if (!_out.TryWrite(message)) _log.Debug("Worker {0}'s stream is closed; dropped {1}", _profile.WorkerId, message.BodyCase);
    }
}

/// <summary>
/// What a worker's session may do with blobs, shared between its actor and the edge's blob calls: read the blobs its assignments name,
/// and upload while it holds an assignment, into the coordinator's store and on to the job's own blob store (<see cref="Destinations"/>).
/// </summary>
public sealed class SessionGrant(string workerId, string token, string address = "")
{
    private readonly ConcurrentDictionary<Sha256Digest, IActorRef> _readable = new();
    private readonly ConcurrentDictionary<IActorRef, bool> _destinations = new();
    private readonly ConcurrentDictionary<SpecRef, IActorRef> _specs = new();

    public string WorkerId { get; } = workerId;
    public string Token { get; } = token;

    /// <summary>The worker's key (its address): what its blob calls are counted against.</summary>
    public string Address { get; } = address;
    public bool Closed { get; private set; }

    public void AllowRead(Sha256Digest hash, IActorRef source)
    {
        if (_readable.Count > 256) _readable.Clear();
        _readable[hash] = source;
    }

    /// <summary>Lets the worker read the packed dataset <paramref name="spec"/> names, if any
    /// (<see cref="DatasetReads"/>).</summary>
    public void AllowDataset(SpecRef spec, IActorRef source)
    {
        if (_specs.Count > 16) _specs.Clear();
        _specs[spec] = source;
    }

    /// <summary>The specs of this session's assignments, and the job blob store of each.</summary>
    public IReadOnlyCollection<KeyValuePair<SpecRef, IActorRef>> Specs => _specs.ToArray();

    public void AllowUpload(IActorRef destination)
    {
        if (_destinations.Count > 16) _destinations.Clear();
        _destinations[destination] = true;
    }

    /// <summary>Where an assigned blob comes from (the job's blob store), or null when no assignment of this session names it.</summary>
    public IActorRef? ReadSource(Sha256Digest hash) => _readable.TryGetValue(hash, out var source) ? source : null;

    public bool MayUpload => !Closed && !_destinations.IsEmpty;

    public IReadOnlyCollection<IActorRef> Destinations => _destinations.Keys.ToList();

    public void Close() => Closed = true;
}

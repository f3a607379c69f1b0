using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

/// <summary>What a ShardActor needs to dispatch its shard.</summary>
public sealed record ShardOrder(
    string JobId,
    int Round,
    int Shard,
    string SpecYaml,
    string BaseDirectory,
    Sha256Digest StartState,
    long StartStateBytes);

/// <summary>
/// Gets one shard of one round done: asks the scheduler for a worker, has its parent (the JobActor)
/// journal the assignment and its epoch, sends the worker the assignment, watches it, relays progress,
/// and hands a valid result to the parent. A worker that fails, vanishes or is lost to the scheduler
/// is released and the shard is asked for again (a new epoch fences out the old assignment).
/// </summary>
public sealed class ShardActor : ReceiveActor
{
    // Local messages between a JobActor and its ShardActors (same process, never serialized).
    public sealed record AssignRequested(int Shard, string WorkerId, IActorRef Worker) : INoSerializationVerificationNeeded;
    public sealed record AssignConfirmed(int Epoch) : INoSerializationVerificationNeeded;
    public sealed record Progress(int Shard, int Step, float Loss) : INoSerializationVerificationNeeded;
    public sealed record Done(ShardResult Result) : INoSerializationVerificationNeeded;
    public sealed record Lost(int Shard, int Epoch, string WorkerId, string Reason) : INoSerializationVerificationNeeded;
    public sealed record Accepted : INoSerializationVerificationNeeded;
    public sealed record Abandon : INoSerializationVerificationNeeded;

    private readonly ShardOrder _order;
    private readonly IActorRef _registry;
    private readonly IActorRef _blobs;
    private readonly BlobStore _store;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string? _workerId;
    private IActorRef? _worker;
    private int _epoch = -1;

    public static Props Props(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store) =>
        Akka.Actor.Props.Create(() => new ShardActor(order, registry, blobs, store));

    public ShardActor(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store)
    {
        _order = order;
        _registry = registry;
        _blobs = blobs;
        _store = store;
        Waiting();
    }

    protected override void PreStart() => AskForWorker();

    private void AskForWorker() => _registry.Tell(new RequestWorker(_order.JobId, _order.Round, _order.Shard, Self));

    private string Label => $"{_order.JobId} round {_order.Round} shard {_order.Shard}";

    private void Waiting()
    {
        Receive<WorkerGranted>(granted =>
        {
            _workerId = granted.WorkerId;
            _worker = granted.Worker;
            Context.Parent.Tell(new AssignRequested(_order.Shard, granted.WorkerId, granted.Worker));
        });
        Receive<AssignConfirmed>(confirmed =>
        {
            if (_worker is null) return;
            _epoch = confirmed.Epoch;
            Context.Watch(_worker);
            _worker.Tell(new ShardAssignment(_order.JobId, _order.Round, _order.Shard, _epoch, _order.SpecYaml, _order.BaseDirectory,
                _order.StartState, _order.StartStateBytes, Self, _blobs));
            Become(Running);
        });
        Common();
    }

    private void Running()
    {
        Receive<ShardProgress>(p =>
        {
            if (Current(p.Epoch, p.WorkerId) && p.Step >= 0) Context.Parent.Tell(new Progress(_order.Shard, p.Step, p.Loss));
        });
        Receive<ShardResult>(result =>
        {
            if (!Current(result.Epoch, result.WorkerId) || result.JobId != _order.JobId || result.Round != _order.Round || result.Shard != _order.Shard)
            {
                _log.Warning("{0}: ignored a result for epoch {1} from worker {2} (current: epoch {3}, worker {4})",
                    Label, result.Epoch, result.WorkerId, _epoch, _workerId);
                return;
            }
            if (!_store.Contains(result.EndState))
            {
                LoseWorker($"its result names end state {result.EndState}, which it never uploaded");
                return;
            }
            Context.Parent.Tell(new Done(result));
        });
        Receive<ShardCheckpointed>(c =>
        {
            if (Current(c.Epoch, c.WorkerId)) _log.Debug("{0}: checkpoint at step {1} is blob {2}", Label, c.LocalStep, c.Checkpoint);
        });
        Receive<Accepted>(_ =>
        {
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: true));
            Context.Unwatch(_worker);
            Context.Stop(Self);
        });
        Receive<ShardFailed>(failed =>
        {
            if (Current(failed.Epoch, failed.WorkerId)) LoseWorker($"the worker failed: {failed.Reason}");
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_worker)) LoseWorker("the worker's process is gone");
        });
        Common();
    }

    private void Common()
    {
        Receive<WorkerLost>(lost =>
        {
            if (lost.WorkerId == _workerId) LoseWorker("the scheduler lost the worker");
        });
        Receive<Abandon>(_ =>
        {
            if (_worker is not null && _epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
            Context.Stop(Self);
        });
    }

    private bool Current(int epoch, string workerId) => epoch == _epoch && workerId == _workerId;

    private void LoseWorker(string reason)
    {
        if (_workerId is null) return;
        _log.Warning("{0}: released worker {1} (epoch {2}): {3}", Label, _workerId, _epoch, reason);
        if (_worker is not null)
        {
            Context.Unwatch(_worker);
            if (_epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
        }
        Context.Parent.Tell(new Lost(_order.Shard, _epoch, _workerId, reason));
        _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
        _workerId = null;
        _worker = null;
        Become(Waiting);
        AskForWorker();
    }
}

using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;

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
/// journal the assignment and its epoch, sends the worker the assignment (resuming from the last good
/// checkpoint when an earlier worker left one), watches it, relays progress and checkpoints, and hands
/// a valid result to the parent. A worker that fails, vanishes, stops making progress or is lost to the
/// scheduler is released and the shard is asked for again; the new epoch fences out the old assignment.
/// </summary>
public sealed class ShardActor : ReceiveActor, IWithTimers
{
    // Local messages between a JobActor and its ShardActors (same process, never serialized).
    public sealed record AssignRequested(int Shard, string WorkerId, IActorRef Worker) : INoSerializationVerificationNeeded;
    public sealed record AssignConfirmed(int Epoch, Sha256Digest? Resume) : INoSerializationVerificationNeeded;
    public sealed record Progress(int Shard, int Step, float Loss) : INoSerializationVerificationNeeded;
    public sealed record Checkpointed(ShardCheckpointed Checkpoint) : INoSerializationVerificationNeeded;
    public sealed record CheckpointUnusable(int Shard, Sha256Digest Checkpoint, string Reason) : INoSerializationVerificationNeeded;
    public sealed record Done(ShardResult Result) : INoSerializationVerificationNeeded;
    public sealed record Lost(int Shard, int Epoch, string WorkerId, string Reason, bool CountsAsFailure) : INoSerializationVerificationNeeded;
    public sealed record Accepted : INoSerializationVerificationNeeded;
    public sealed record Abandon : INoSerializationVerificationNeeded;
    public sealed record StartStateMissing(int Shard, string Reason) : INoSerializationVerificationNeeded;
    public sealed record StartStateRestored : INoSerializationVerificationNeeded;
    private sealed record Stalled(int Epoch) : INoSerializationVerificationNeeded;
    private sealed record AskAgain : INoSerializationVerificationNeeded;

    /// <summary>HOCON: how long a worker may go without reporting progress before its shard is reassigned.</summary>
    public const string StallTimeoutSetting = "gensyn.shard-stall-timeout";

    private readonly ShardOrder _order;
    private readonly IActorRef _registry;
    private readonly IActorRef _blobs;
    private readonly BlobStore _store;
    private readonly TimeSpan _stallTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string? _workerId;
    private IActorRef? _worker;
    private int _epoch = -1;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store) =>
        Akka.Actor.Props.Create(() => new ShardActor(order, registry, blobs, store));

    public ShardActor(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store)
    {
        _order = order;
        _registry = registry;
        _blobs = blobs;
        _store = store;
        _stallTimeout = Context.System.Settings.Config.GetTimeSpan(StallTimeoutSetting, TimeSpan.FromSeconds(60));
        Waiting();
    }

    protected override void PreStart() => AskForWorker();

    /// <summary>A crash must not strand a worker: let it go, and ask again after the restart.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _log.Error(reason, "{0}: restarting after a failure", Label);
        if (_worker is not null && _epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
        if (_workerId is not null) Context.Parent.Tell(new Lost(_order.Shard, _epoch, _workerId, "the shard's actor restarted", CountsAsFailure: false));
        _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
    }

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
            if (!StartStateIntact(out var problem))
            {
                // Never hand out a state that fails its hash: the JobActor recomputes it (same inputs, same bytes).
                LoseWorker($"its start state is unusable ({problem})", countsAsFailure: false, askAgain: false);
                Context.Parent.Tell(new StartStateMissing(_order.Shard, problem));
                return;
            }
            var resume = confirmed.Resume is { } checkpoint && Usable(checkpoint) ? checkpoint : (Sha256Digest?)null;
            Context.Watch(_worker);
            _worker.Tell(new ShardAssignment(_order.JobId, _order.Round, _order.Shard, _epoch, _order.SpecYaml, _order.BaseDirectory,
                _order.StartState, _order.StartStateBytes, Self, _blobs, resume));
            ArmStallTimer();
            Become(Running);
        });
        Receive<AskAgain>(_ => AskForWorker());
        Receive<StartStateRestored>(_ =>
        {
            if (_workerId is null) AskForWorker();
        });
        Common();
    }

    private void Running()
    {
        Receive<ShardProgress>(p =>
        {
            if (!Current(p.Epoch, p.WorkerId) || p.Step < 0) return;
            ArmStallTimer();
            Context.Parent.Tell(new Progress(_order.Shard, p.Step, p.Loss));
        });
        Receive<ShardCheckpointed>(c =>
        {
            if (!Current(c.Epoch, c.WorkerId) || c.JobId != _order.JobId || c.Round != _order.Round || c.Shard != _order.Shard) return;
            ArmStallTimer();
            if (_store.Contains(c.Checkpoint)) Context.Parent.Tell(new Checkpointed(c));
            else _log.Warning("{0}: worker {1} reported checkpoint {2}, which it never uploaded", Label, c.WorkerId, c.Checkpoint);
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
                LoseWorker($"its result names end state {result.EndState}, which it never uploaded", countsAsFailure: true);
                return;
            }
            Context.Parent.Tell(new Done(result));
        });
        Receive<Accepted>(_ =>
        {
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: true));
            Context.Unwatch(_worker);
            Context.Stop(Self);
        });
        Receive<ShardFailed>(failed =>
        {
            if (!Current(failed.Epoch, failed.WorkerId)) return;
            var busy = failed.Reason.StartsWith("busy", StringComparison.Ordinal);
            LoseWorker($"the worker failed: {failed.Reason}", countsAsFailure: !busy);
        });
        Receive<Stalled>(stalled =>
        {
            if (stalled.Epoch == _epoch) LoseWorker($"no progress for {_stallTimeout.TotalSeconds:0} s", countsAsFailure: true);
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_worker)) LoseWorker("the worker's process is gone", countsAsFailure: true, workerGone: true);
        });
        Common();
    }

    private void Common()
    {
        Receive<WorkerLost>(lost =>
        {
            if (lost.WorkerId == _workerId) LoseWorker("the scheduler lost the worker", countsAsFailure: true);
        });
        Receive<Abandon>(_ =>
        {
            if (_worker is not null && _epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
            _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false));
            Context.Stop(Self);
        });
    }

    private bool Current(int epoch, string workerId) => epoch == _epoch && workerId == _workerId;

    private void ArmStallTimer() => Timers.StartSingleTimer("stall", new Stalled(_epoch), _stallTimeout);

    /// <summary>A checkpoint is used only if its blob passes its hash and loads as this shard's checkpoint.</summary>
    private bool Usable(Sha256Digest checkpoint)
    {
        string reason;
        try
        {
            var loaded = ShardCheckpointFile.Deserialize(_store.Get(checkpoint), $"checkpoint {checkpoint}");
            if (loaded.Round == _order.Round && loaded.Shard == _order.Shard) return true;
            reason = $"it belongs to round {loaded.Round} shard {loaded.Shard}";
        }
        catch (Exception e) when (e is BlobException or CheckpointException)
        {
            reason = e.Message;
        }
        _log.Warning("{0}: checkpoint {1} is unusable ({2}); the shard restarts from the round's start state", Label, checkpoint, reason);
        Context.Parent.Tell(new CheckpointUnusable(_order.Shard, checkpoint, reason));
        return false;
    }

    private bool StartStateIntact(out string problem)
    {
        try
        {
            _store.Get(_order.StartState);
            problem = "";
            return true;
        }
        catch (BlobException e)
        {
            problem = e.Message;
            return false;
        }
    }

    private void LoseWorker(string reason, bool countsAsFailure, bool askAgain = true, bool workerGone = false)
    {
        if (_workerId is null) return;
        _log.Warning("{0}: released worker {1} (epoch {2}): {3}", Label, _workerId, _epoch, reason);
        Timers.Cancel("stall");
        if (_worker is not null)
        {
            Context.Unwatch(_worker);
            if (_epoch >= 0) _worker.Tell(new AbandonShard(_order.JobId, _order.Round, _order.Shard, _epoch));
        }
        Context.Parent.Tell(new Lost(_order.Shard, _epoch, _workerId, reason, countsAsFailure));
        _registry.Tell(new ReleaseWorker(_workerId, Self, Completed: false, workerGone));
        _workerId = null;
        _worker = null;
        Become(Waiting);
        // A busy worker frees up soon: give it (or another) a moment before asking again.
        if (!askAgain) return;
        if (countsAsFailure) AskForWorker();
        else Timers.StartSingleTimer("ask-again", new AskAgain(), TimeSpan.FromSeconds(1));
    }
}

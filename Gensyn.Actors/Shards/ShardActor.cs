using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Shards;

/// <summary>
/// Gets one shard of one round done and verified; what is common to every mode. It asks the scheduler for a
/// worker, has its parent (the JobActor) journal the assignment and its epoch, sends the worker the assignment
/// (resuming from the last good checkpoint when an earlier worker left one), watches it, and relays progress and
/// checkpoints. A result is admitted by its <see cref="ShardAttempt"/> (current epoch, uploaded, signed); what
/// follows is the mode's: <see cref="SpotCheckShardActor"/> challenges steps, <see cref="InferenceShardActor"/> has
/// batches recomputed, <see cref="ReplicaShardActor"/> seals and reveals for a <see cref="ReplicatedShardActor"/>.
/// The verdict goes to the parent. A worker that fails, vanishes, stops making progress or is lost to the scheduler
/// is released and the shard is asked for again; the new epoch fences out the old assignment. A rejected result
/// sends the shard to another worker, never to one the job has excluded. The messages are in ShardProtocol.cs.
/// </summary>
public abstract partial class ShardActor : ReceiveActor, IWithTimers
{
    /// <summary>HOCON: how long a worker may go without reporting progress before its shard is reassigned.</summary>
    public const string StallTimeoutSetting = "gensyn.shard-stall-timeout";

    /// <summary>HOCON: how long a worker has to open the challenged states before its result is rejected.</summary>
    public const string ChallengeTimeoutSetting = "gensyn.challenge-timeout";

    /// <summary>HOCON: the honest streak a worker's key needs to be freed for its next shard at its commit.</summary>
    public const string FreeAtCommitSetting = "gensyn.free-at-commit-streak";

    private DateTime _assignedAt;

    protected ShardActor(ShardOrder order, ShardServices services)
    {
        Order = order;
        Services = services;
        ExcludedWorkers = order.Excluded;
        var config = Context.System.Settings.Config;
        StallTimeout = config.GetTimeSpan(StallTimeoutSetting, TimeSpan.FromSeconds(60));
        ChallengeTimeout = config.GetTimeSpan(ChallengeTimeoutSetting, TimeSpan.FromSeconds(60));
        FreeAtCommitStreak = Math.Max(0, config.GetInt(FreeAtCommitSetting, 1));
        Waiting();
    }

    /// <summary>
    /// The actor for the order's mode: a replica of a replicated shard, else the one its job's kind gives
    /// (<see cref="Kinds.IJobKind.ShardActor"/>). <paramref name="network"/>: the EIP-712 domain results are signed
    /// for (null while the chain is not known yet; no chain when omitted).
    /// </summary>
    public static Props Props(ShardOrder order, IActorRef registry, IActorRef blobs, BlobStore store,
        IActorRef verifiers, Func<ClaimDomain?>? network = null, Verification.IChallengeFaults? challenges = null)
    {
        var services = new ShardServices(registry, blobs, store, verifiers, network ?? (() => ClaimDomain.None),
            challenges);
        if (order.Replicated) return Akka.Actor.Props.Create(() => new ReplicaShardActor(order, services));
        return Kinds.JobKinds.Of(order.Kind).ShardActor(order, services);
    }

    public ITimerScheduler Timers { get; set; } = null!;
    protected ShardOrder Order { get; }
    protected ShardServices Services { get; }
    protected ILoggingAdapter Log { get; } = Context.GetLogger();
    protected TimeSpan StallTimeout { get; }
    protected TimeSpan ChallengeTimeout { get; }
    protected int FreeAtCommitStreak { get; }
    protected Exclusion ExcludedWorkers { get; set; }

    /// <summary>The granted worker's attempt; null while the shard waits for a worker.</summary>
    protected ShardAttempt? Attempt { get; set; }

    /// <summary>The granted worker (its session on this coordinator); null while the shard waits for one.</summary>
    protected IActorRef? Worker { get; private set; }

    protected string Label => Order.Label;

    /// <summary>What the mode does with an admitted result (the shard is running).</summary>
    protected abstract void OnResult(ShardResult result);

    /// <summary>Whether a new worker resumes from the last good checkpoint.</summary>
    protected virtual bool ResumesFromCheckpoints => true;

    /// <summary>Providers (keys) the scheduler must not grant, besides the job's excluded ones.</summary>
    protected virtual IEnumerable<string> AvoidedAddresses => [];

    /// <summary>The mode's handlers while the shard waits for a worker, runs, or has its result verified.</summary>
    protected virtual void OnWaiting() { }
    protected virtual void OnRunning() { }
    protected virtual void OnChallenging() { }

    /// <summary>Runs as the accepted result's shard stops.</summary>
    protected virtual void OnAccepted() { }

    /// <summary>After a rejection (the job has journalled it): the shard goes to another worker.</summary>
    protected virtual void AfterRejection() => Release(askAgain: true, countsAsFailure: true);

    protected override void PreStart() => AskForWorker();

    /// <summary>A crash must not strand a worker: let it go, and ask again after the restart.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        Log.Error(reason, "{0}: restarting after a failure", Label);
        AbandonWorker();
        if (Attempt is { } a)
            Context.Parent.Tell(new Lost(Order.Shard, a.Epoch, a.WorkerId, "the shard's actor restarted", false));
        Services.Scheduler.Tell(new ReleaseWorker(Attempt?.WorkerId, Self, Completed: false));
    }

    private void AskForWorker() => Services.Scheduler.Tell(new RequestWorker(Order.JobId, Order.Round, Order.Shard, Self,
        ExcludedWorkers.Workers,
        AvoidedAddresses.Concat(ExcludedWorkers.Addresses).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        Order.Needs, Order.Replicated, Order.Preferred));

    private void Waiting()
    {
        Receive<WorkerWaiting>(waiting => Context.Parent.Tell(new WaitingForWorker(Order.Shard, waiting.Reason)));
        Receive<WorkerGranted>(granted =>
        {
            Attempt = ShardAttempt.Of(granted);
            Worker = granted.Worker;
            Context.Parent.Tell(
                new AssignRequested(Order.Shard, granted.WorkerId, granted.Worker, granted.Address, Order.Replica));
        });
        Receive<AssignConfirmed>(Assign);
        Receive<AskAgain>(_ => AskForWorker());
        Receive<Excluded>(excluded =>
        {
            ExcludedWorkers = excluded.Workers;
            Reconsider(a => ExcludedWorkers.Covers(a.WorkerId, a.Address), "is excluded from the job");
        });
        Receive<StartStateRestored>(_ =>
        {
            if (Attempt is null) AskForWorker();
        });
        OnWaiting();
        Common();
    }

    /// <summary>
    /// Waiting: asks again with new terms when no worker is granted yet (the queued request gets them), or lets a
    /// granted worker that is now <paramref name="unfit"/> go and asks for another.
    /// </summary>
    protected void Reconsider(Func<ShardAttempt, bool> unfit, string why)
    {
        if (Attempt is null) AskForWorker();
        else if (unfit(Attempt))
        {
            Log.Info("{0}: worker {1} {2}; asking for another", Label, Attempt.WorkerId, why);
            Release(askAgain: true, countsAsFailure: false);
        }
    }

    private void Assign(AssignConfirmed confirmed)
    {
        if (Attempt is null || Worker is null) return;
        Attempt = Attempt.Confirm(confirmed.Epoch);
        if (!ShardBlobs.InputsIntact(Services.Store, Order, out var problem))
        {
            // Never hand out a spec or state that fails its hash: the JobActor stores the spec again from its journal and
            // recomputes the state (same inputs, same bytes).
            LoseWorker($"its start state is unusable ({problem})", countsAsFailure: false, askAgain: false);
            Context.Parent.Tell(new StartStateMissing(Order.Shard, problem));
            return;
        }
        var resume = ResumesFromCheckpoints ? Resumable(confirmed) : null;
        Context.Watch(Worker);
        Worker.Tell(new ShardAssignment(Order.JobId, Order.Round, Order.Shard, Attempt.Epoch, Order.Spec,
            Order.BaseDirectory, Order.StartState, Order.StartStateBytes, Self, Services.Blobs, resume, Order.Delta));
        _assignedAt = DateTime.UtcNow;
        ArmStallTimer();
        Become(Running);
    }

    /// <summary>
    /// The checkpoint the worker resumes from, if any: only one signed by its maker
    /// (<see cref="Verification.CheckpointReplay.ResumeRefusal"/>) whose blob passes its hash and loads as this shard's
    /// checkpoint of the signed step; else the shard restarts from the round's start state, and says why.
    /// </summary>
    private Sha256Digest? Resumable(AssignConfirmed confirmed)
    {
        if (confirmed.Resume is not { } checkpoint) return null;
        var network = Services.Network();
        var lineage = confirmed.Lineage ?? [];
        var reason = Verification.CheckpointReplay.ResumeRefusal(Order.JobId, checkpoint, lineage, network);
        if (reason is null && ShardBlobs.UsableCheckpoint(Services.Store, Order, checkpoint, out var step, out reason))
        {
            if (step == lineage[^1].LocalStep)
            {
                Attempt = Attempt!.Resuming(lineage);
                return checkpoint;
            }
            reason = $"it holds step {step}, not the signed step {lineage[^1].LocalStep}";
        }
        Log.Warning("{0}: not resuming from checkpoint {1} ({2}); the shard restarts from the round's start state",
            Label, checkpoint, reason);
        // A checkpoint is discarded for good unless only the chain is not known yet (then it may be checked later).
        if (network is not null) Context.Parent.Tell(new CheckpointUnusable(Order.Shard, checkpoint, reason!));
        return null;
    }

    private void Running()
    {
        Receive<Excluded>(excluded =>
        {
            ExcludedWorkers = excluded.Workers;
            // A worker freed from an earlier shard of the job may be convicted while it trains this one.
            if (Attempt is { } a && ExcludedWorkers.Covers(a.WorkerId, a.Address))
                LoseWorker("it is now excluded from the job", countsAsFailure: false);
        });
        Receive<ShardProgress>(p =>
        {
            if (!Current(p.Epoch, p.WorkerId)) return;
            ArmStallTimer();
            // A negative step says the worker is alive and fetching the shard's data (ShardProgress.FetchingData).
            if (p.Step >= 0) Context.Parent.Tell(new Progress(Order.Shard, p.Step, p.Loss));
        });
        Receive<ShardCheckpointed>(c =>
        {
            var admission = Attempt?.AdmitCheckpoint(Order, c, Services.Store.Contains, Services.Network());
            if (admission is null || admission.Stale) return;
            ArmStallTimer();
            if (admission.IsAdmitted) Context.Parent.Tell(new Checkpointed(c, Attempt!.Address));
            else Log.Warning("{0}: refused worker {1}'s checkpoint: {2}", Label, c.WorkerId, admission.Refusal);
        });
        Receive<ShardResult>(result =>
        {
            if (Admit(result)) OnResult(result);
        });
        Receive<ShardFailed>(failed =>
        {
            if (!Current(failed.Epoch, failed.WorkerId)) return;
            var busy = failed.Reason.StartsWith("busy", StringComparison.Ordinal);
            LoseWorker($"the worker failed: {failed.Reason}", countsAsFailure: !busy);
        });
        Receive<Stalled>(stalled =>
        {
            if (stalled.Epoch == Attempt?.Epoch)
                LoseWorker($"no progress for {StallTimeout.TotalSeconds:0} s", countsAsFailure: true);
        });
        OnWorkerGone("the worker's process is gone");
        OnRunning();
        Common();
    }

    protected void Common()
    {
        Receive<WorkerLost>(lost =>
        {
            if (lost.WorkerId == Attempt?.WorkerId) LoseWorker("the scheduler lost the worker", countsAsFailure: true);
        });
        Receive<Abandon>(_ =>
        {
            AbandonWorker();
            Services.Scheduler.Tell(new ReleaseWorker(Attempt?.WorkerId, Self, Completed: false));
            Context.Stop(Self);
        });
    }

    protected bool Current(int epoch, WorkerId workerId) => Attempt?.Current(epoch, workerId) == true;

    private void ArmStallTimer() => Timers.StartSingleTimer("stall", new Stalled(Attempt!.Epoch), StallTimeout);

    /// <summary>Tells an assigned worker to stop the shard (and to forget what it committed for it).</summary>
    protected void AbandonWorker()
    {
        if (Worker is not null && Attempt is { Confirmed: true } a)
            Worker.Tell(new AbandonShard(Order.JobId, Order.Round, Order.Shard, a.Epoch));
    }

    protected void LoseWorker(string reason, bool countsAsFailure, bool askAgain = true, bool workerGone = false)
    {
        if (Attempt is not { } a) return;
        Log.Warning("{0}: released worker {1} (epoch {2}): {3}", Label, a.WorkerId, a.Epoch, reason);
        Context.Parent.Tell(new Lost(Order.Shard, a.Epoch, a.WorkerId, reason, countsAsFailure));
        Release(askAgain, countsAsFailure, workerGone);
    }

    /// <summary>Lets the worker go (it stops the shard), and waits for another one.</summary>
    protected void Release(bool askAgain, bool countsAsFailure, bool workerGone = false)
    {
        Timers.Cancel("stall");
        Timers.Cancel("challenge");
        if (Worker is not null) Context.Unwatch(Worker);
        AbandonWorker();
        _freed = false;
        Services.Scheduler.Tell(new ReleaseWorker(Attempt?.WorkerId, Self, Completed: false, workerGone));
        (Attempt, Worker) = (null, null);
        Become(Waiting);
        // A busy worker frees up soon: give it (or another) a moment before asking again.
        if (!askAgain) return;
        if (countsAsFailure) AskForWorker();
        else Timers.StartSingleTimer("ask-again", new AskAgain(), TimeSpan.FromSeconds(1));
    }
}

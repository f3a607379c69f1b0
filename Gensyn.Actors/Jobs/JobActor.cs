using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Akka.Streams;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// One job, sharded across the coordinators and persisted. Its rules live in <see cref="JobState"/>: the actor hands
/// each command to <see cref="JobState.Decide"/>, persists and applies the events it returns, and performs the
/// effects: it answers, runs the DiLoCo rounds (a ShardActor per shard), aggregates each round on the training
/// thread, stores the global checkpoints in the blob store and sends settlement orders. Its views come from a
/// <see cref="JobProjection"/> of its events. After a restart it replays its journal and picks up where it was.
/// </summary>
public sealed partial class JobActor : ReceivePersistentActor, IWithTimers
{
    private sealed record SettleTick;

    private sealed record Computed(object Result) : INoSerializationVerificationNeeded;

    /// <summary>Orders not yet settled are sent again this often (the SettlementActor ignores copies).</summary>
    private static readonly TimeSpan SettleRetry = TimeSpan.FromSeconds(5);

    /// <summary>A snapshot every this many events bounds what a recovery replays.</summary>
    public const int SnapshotEvery = 200;

    /// <summary>HOCON: after failing on this many different workers, a shard fails its job.</summary>
    public const string MaxShardFailuresSetting = "gensyn.max-shard-failures";

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly JobServices _services;
    private readonly JobRules _rules;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private JobState _state = new();
    private readonly JobViews _views = new();
    private readonly Dictionary<int, IActorRef> _shards = [];
    private bool _computing;

    public static Props Props(JobServices services) => Akka.Actor.Props.Create(() => new JobActor(services));

    public override string PersistenceId => "job-" + Uri.UnescapeDataString(Self.Path.Name);

    public JobActor(JobServices services)
    {
        _services = services;
        _rules = new JobRules(Math.Max(1, Context.System.Settings.Config.GetInt(MaxShardFailuresSetting, 3)));
        Recover<SnapshotOffer>(offer =>
        {
            _state = JobState.FromSnapshot(offer.Snapshot) ?? _state;
            _views.Restored();
            TimelineRestored();
        });
        Recover<IJobEvent>(e =>
        {
            _state = _state.Apply(e);
            _views.Apply(e);
            Timeline(e);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            if (!_state.Exists) return;
            Metrics.GensynMeter.JobRecovered(Self, _state.Phase);
            PinBlobs();
            _log.Info("Job {0} recovered at {1}, round {2}", _state.JobId, _state.Phase, _state.Round);
            Advance();
            Settle();
            PurgeRecovered();
        });

        Command<StartJob>(Decide);
        Command<GetJobStatus>(Show);
        Command<GetJobLog>(Show);
        Command<CancelJob>(cancel => { if (Known()) Decide(cancel); });
        Command<GetJobResult>(GetResult);
        Command<SettleTick>(_ => Settle());
        Command<SettlementSettled>(Decide);
        Command<JobHistoryReader.Read>(read =>
        {
            if (!PurgeHistoryRead(read)) _views.HistoryRead(read.Events, _state);
        });
        Command<JobHistoryReader.Failed>(failed =>
        {
            PurgeHistoryFailed();
            _log.Warning("Job {0}: could not read its events for its views ({1})", _state.JobId, failed.Reason);
            _views.HistoryUnreadable(failed.Reason, _state);
        });

        Command<ShardActor.AssignRequested>(Decide);
        Command<ShardActor.Progress>(p => _views.Progress(p.Shard, p.Step, p.Loss));
        Command<ShardActor.WaitingForWorker>(w => _views.WaitingForWorker(w.Shard, w.Reason));
        Command<ShardActor.Judged>(judged =>
        {
            _views.Verifying(judged.Result.Shard, false);
            Decide(judged);
        });
        Command<ShardActor.Verifying>(v => _views.Verifying(v.Shard, v.Active));
        Command<ShardActor.Lost>(lost =>
        {
            _views.Lost(lost.Shard);
            Decide(lost);
        });
        Command<ShardActor.Checkpointed>(Decide);
        Command<ShardActor.CheckpointJudged>(Decide);
        Command<ShardActor.Sealed>(Decide);
        Command<ShardActor.CheckpointUnusable>(Decide);
        Command<ShardActor.StartStateMissing>(missing =>
        {
            _log.Warning("Job {0}: round {1} shard {2}'s start state is unusable ({3}); recomputing the round's " +
                         "start states", _state.JobId, _state.Round, missing.Shard, missing.Reason);
            _services.PinBlobs(_state);   // stores the spec again if its blob was corrupt
            if (!_computing && _state.RoundOpen) Compute(PrepareRound(_state.Round));
        });
        Command<Computed>(computed => OnComputed(computed.Result));
        Command<ComputeFailed>(OnComputed);
        PurgeCommands();
        AuditCommands();
        SnapshotCommands();

    }

    /// <summary>Asks the state what a command leads to, persists and applies its events, then performs the
    /// effects.</summary>
    private void Decide(object command)
    {
        var decision = _state.Decide(command, _rules, DateTimeOffset.UtcNow);
        if (decision.Warning is { } warning) _log.Warning("{0}", warning);
        if (decision.Info is { } info) _log.Info("{0}", info);
        var sender = Sender;
        if (decision.Events.Count == 0)
        {
            Perform(decision, sender);
            return;
        }
        PersistAll(decision.Events, Metrics.GensynMeter.TimedJournalWrite<IJobEvent>(Applied));
        DeferAsync(decision, d => Perform(d, sender));
    }

    /// <summary>Applies a persisted event; snapshots the domain state every <see cref="SnapshotEvery"/>
    /// events.</summary>
    private void Applied(IJobEvent e)
    {
        _state = _state.Apply(e);
        _views.Apply(e);
        Timeline(e);
        Metrics.GensynMeter.JobApplied(Self, _state.Phase, e);
        PinBlobs();
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
    }

    /// <summary>The effects of a decision whose events are persisted: answers, then what each event starts or
    /// stops.</summary>
    private void Perform(JobDecision decision, IActorRef sender)
    {
        foreach (var reply in decision.Replies) sender.Tell(reply);
        foreach (var message in decision.ToOtherShards)
        foreach (var shard in _shards.Values.Where(s => !s.Equals(sender)))
            shard.Tell(message);
        foreach (var e in decision.Events) Performed(e);
        JobNotices.Publish(Context.System, (JobId)Uri.UnescapeDataString(Self.Path.Name), decision.Events);
        Purged(decision.Events);
        if (decision.Events.Any(e => e is RoundCompleted or JobCompleted or JobFailed or JobCancelled
                                     or SettlementPosted or ShardVerified { Outcome: VerdictOutcome.Fraud }
                                     or ResultRevoked or RoundsRolledBack))
            Settle();
        if (decision.Advance) Advance();
        // A refused submission leaves no job behind: the entity goes.
        if (!_state.Exists) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void Performed(IJobEvent e)
    {
        switch (e)
        {
            case JobSubmitted s:
                _log.Info("Job {0} ({1}) submitted", s.JobId, _state.Spec!.Name);
                _services.Catalog.Tell(new CatalogJob(s.JobId));
                break;
            case ShardCompleted c:
                _shards.Remove(c.Shard);
                break;
            case RoundCompleted r:
                _log.Info("Job {0}: round {1} of {2} done, mean loss {3:F4}", _state.JobId, r.Round + 1,
                    _state.Spec!.Rounds, r.MeanLoss);
                break;
            case JobCompleted done:
                _log.Info("Job {0} completed: test accuracy {1:P2}, final digest {2}", _state.JobId,
                    done.TestAccuracy, done.FinalDigest);
                break;
            case JobFailed failed:
                _log.Error("Job {0} failed: {1}", _state.JobId, failed.Reason);
                StopShards();
                break;
            case JobCancelled:
                StopShards();
                _log.Info("Job {0} cancelled", _state.JobId);
                break;
        }
    }

    /// <summary>Answers a status or log request from the projection; reads the journal's events first if it has
    /// none.</summary>
    private void Show(object query)
    {
        if (!Known() || !_views.Ask(Sender, query, _state)) return;
        var journal = Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId);
        Context.ActorOf(JobHistoryReader.Props(journal, PersistenceId, LastSequenceNr));
    }

    /// <summary>Keeps the blobs the job references (<see cref="JobServices.PinBlobs"/>).</summary>
    private void PinBlobs() => _services.PinBlobs(_state, PurgeInputs());

    protected override void PostStop()
    {
        if (_state.Exists) _services.Store.Unpin(_state.JobId);
        base.PostStop();
    }

    /// <summary>Answers for an id that was never submitted, and lets the entity go.</summary>
    private bool Known()
    {
        if (_state.Exists) return true;
        Sender.Tell(new UnknownJob((JobId)Uri.UnescapeDataString(Self.Path.Name)));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        return false;
    }

    private void GetResult(GetJobResult get)
    {
        if (Known()) _services.OfferResult(_state, Context.Materializer()).PipeTo(Sender);
    }

    /// <summary>Starts whatever the job needs next, unless something is already in flight.</summary>
    private void Advance()
    {
        var spec = _state.Spec!;
        switch (_state.Next())
        {
            case NextStep.StartRound when !_computing:
                if (_state.CompletedRounds == 0) _services.PrepareVerifiers(_state);
                Compute(PrepareRound(_state.CompletedRounds));
                break;
            case NextStep.RunShards:
                foreach (var shard in _state.Shards.Where(s => !s.Done && !_shards.ContainsKey(s.Shard)))
                {
                    var props = _services.ShardProps(_state, shard.Shard, Context.System.Settings.Config);
                    _shards[shard.Shard] = Context.ActorOf(props, ShardActorName(shard.Shard));
                }
                break;
            case NextStep.Aggregate when !_computing:
                var ends = _state.Shards.Select(s => s.EndState!.Value).ToList();
                Compute(_services.Compute.Aggregate(spec, _state.Round, _state.RoundGlobal!.Value, ends));
                break;
            case NextStep.Finish when !_computing:
                Compute(_services.Compute.Finish(spec, _state.JobId, _state.LastGlobal!.Value));
                break;
        }
    }

    /// <summary>A computation finished (or failed): what it leads to is the state's decision.</summary>
    private void OnComputed(object result)
    {
        _computing = false;
        Decide(result);
    }

    private Task<JobCompute.PreparedRound> PrepareRound(int round) =>
        _services.Compute.PrepareRound(_state.Spec!, round, _state.LastGlobal, _state.LastShardEnds);

    private void Compute<T>(Task<T> work) where T : notnull
    {
        _computing = true;
        work.ContinueWith(t => t.IsCompletedSuccessfully
            ? (object)new Computed(t.Result)
            : new ComputeFailed(t.Exception?.GetBaseException().Message ?? "the computation was cancelled"))
            .PipeTo(Self);
    }

    /// <summary>Sends every settlement order still due to the SettlementActor, and again every few seconds until each
    /// has its outcome.</summary>
    private void Settle()
    {
        if (_services.Settlement is not { } settlement) return;
        var due = SettlementsToSend();
        foreach (var order in due) settlement.Tell(order);
        if (due.Count > 0) Timers.StartSingleTimer("settle", new SettleTick(), SettleRetry);
        else Timers.Cancel("settle");
    }

    private void StopShards()
    {
        foreach (var child in _shards.Values) child.Tell(new ShardActor.Abandon());
        _shards.Clear();
        _views.ClearLive();
    }
}

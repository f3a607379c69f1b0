using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>What every JobActor on a node shares; <see cref="Settlement"/> is the SettlementActor's proxy, null on a network that does not settle;
/// <see cref="Network"/> the EIP-712 domain workers sign their results for (no chain when null).</summary>
public sealed record JobServices(JobCompute Compute, BlobStore Store, IActorRef Blobs, IActorRef Registry, IActorRef Catalog, IActorRef Verifiers,
    IActorRef? Settlement = null, Func<Gensyn.Contracts.Signing.ClaimDomain?>? Network = null);

/// <summary>
/// One job, sharded across the coordinators and persisted: it runs the DiLoCo rounds (a ShardActor per
/// shard), journals each result's verdict (a rejected shard runs again elsewhere; the round's match
/// rate decides whether it is paid), aggregates each round's accepted results on the training thread, stores every global checkpoint in the blob
/// store, and answers status, log, cancel and result requests. Its rules live in <see cref="JobState"/>;
/// after a restart it replays its journal and picks up where it was.
/// </summary>
public sealed class JobActor : ReceivePersistentActor, IWithTimers
{
    private sealed record SettleTick;

    /// <summary>Orders not yet settled are sent again this often (the SettlementActor ignores copies).</summary>
    private static readonly TimeSpan SettleRetry = TimeSpan.FromSeconds(5);

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Computed(object Result) : INoSerializationVerificationNeeded;
    private sealed record ComputeFailed(string Reason) : INoSerializationVerificationNeeded;

    private const int MaxLogEntries = 500;

    /// <summary>A snapshot every this many events bounds what a recovery replays.</summary>
    public const int SnapshotEvery = 200;

    private readonly JobServices _services;
    private JobState _state = new();
    private readonly Dictionary<int, (int Step, float Loss)> _progress = [];
    private readonly Dictionary<int, IActorRef> _shards = [];
    private readonly HashSet<int> _verifying = [];
    private readonly Dictionary<int, string> _waiting = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int _maxShardFailures;
    private bool _computing;

    /// <summary>HOCON: after failing on this many different workers, a shard fails its job.</summary>
    public const string MaxShardFailuresSetting = "gensyn.max-shard-failures";

    public static Props Props(JobServices services) => Akka.Actor.Props.Create(() => new JobActor(services));

    public override string PersistenceId => "job-" + Uri.UnescapeDataString(Self.Path.Name);

    public JobActor(JobServices services)
    {
        _services = services;
        _maxShardFailures = Math.Max(1, Context.System.Settings.Config.GetInt(MaxShardFailuresSetting, 3));
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is JobSnapshot snapshot) _state = JobState.FromSnapshot(snapshot);
        });
        Recover<IJobEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            if (!_state.Exists) return;
            PinBlobs();
            _log.Info("Job {0} recovered at {1}, round {2}", _state.JobId, _state.Phase, _state.Round);
            Advance();
            Settle();
        });

        Command<StartJob>(Start);
        Command<GetJobStatus>(_ => { if (Known()) Sender.Tell(_state.View(_progress, _verifying, _waiting)); });
        Command<GetJobLog>(get =>
        {
            if (!Known()) return;
            var entries = _state.Log.Skip(Math.Max(0, get.From)).Take(MaxLogEntries).ToList();
            Sender.Tell(new JobLog(_state.JobId, entries, _state.Phase));
        });
        Command<CancelJob>(Cancel);
        Command<GetJobResult>(GetResult);
        Command<SettleTick>(_ => Settle());
        Command<SettlementSettled>(settled =>
        {
            if (!_state.Exists || _state.SettlementsDue.FirstOrDefault(o => o.SettlementId == settled.SettlementId) is not { } order) return;
            Record(new SettlementPosted(order, settled, DateTimeOffset.UtcNow), _ => Settle());
        });

        Command<ShardActor.AssignRequested>(OnAssignRequested);
        Command<ShardActor.Progress>(p => _progress[p.Shard] = (p.Step, p.Loss));
        Command<ShardActor.WaitingForWorker>(w => _waiting[w.Shard] = w.Reason);
        Command<ShardActor.Judged>(OnJudged);
        Command<ShardActor.Verifying>(v =>
        {
            if (v.Active) _verifying.Add(v.Shard);
            else _verifying.Remove(v.Shard);
        });
        Command<ShardActor.Lost>(OnShardLost);
        Command<ShardActor.Checkpointed>(c =>
        {
            var k = c.Checkpoint;
            if (_state.Accepts(k.Round, k.Shard, k.Epoch, k.WorkerId, k.LocalStep))
                Record(new ShardCheckpointSaved(k.Round, k.Shard, k.Epoch, k.WorkerId, k.LocalStep, k.Checkpoint, DateTimeOffset.UtcNow));
        });
        Command<ShardActor.StartStateMissing>(missing =>
        {
            _log.Warning("Job {0}: round {1} shard {2}'s start state is unusable ({3}); recomputing the round's start states",
                _state.JobId, _state.Round, missing.Shard, missing.Reason);
            if (!_computing && _state.RoundOpen)
                Compute(_services.Compute.PrepareRound(_state.Spec!, _state.Round, _state.LastGlobal, _state.LastShardEnds));
        });
        Command<ShardActor.CheckpointUnusable>(u =>
        {
            if (_state.RoundOpen && _state.Shards[u.Shard].Checkpoint == u.Checkpoint)
                Record(new ShardCheckpointDiscarded(_state.Round, u.Shard, u.Checkpoint, u.Reason, DateTimeOffset.UtcNow));
        });
        Command<Computed>(OnComputed);
        Command<SaveSnapshotSuccess>(saved =>
        {
            _log.Debug("Job {0}: snapshot at event {1}", _state.JobId, saved.Metadata.SequenceNr);
            // Only the latest snapshot is ever read; the journal keeps every event.
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Job {0}: could not delete old snapshots ({1})", _state.JobId, failed.Cause.Message));
        Command<SaveSnapshotFailure>(failed => _log.Warning("Job {0}: snapshot failed ({1}); recovery will replay more events", _state.JobId, failed.Cause.Message));
        Command<ComputeFailed>(failed =>
        {
            _computing = false;
            if (_state.IsTerminal) return;
            _log.Error("Job {0} failed: {1}", _state.JobId, failed.Reason);
            Record(new JobFailed(failed.Reason, DateTimeOffset.UtcNow), e =>
            {
                StopShards();
            });
        });
    }

    /// <summary>Persists an event, applies it, snapshots every <see cref="SnapshotEvery"/> events, then runs <paramref name="then"/>.</summary>
    private void Record<TEvent>(TEvent e, Action<TEvent>? then = null) where TEvent : IJobEvent => Persist(e, persisted =>
    {
        _state.Apply(persisted);
        PinBlobs();
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
        if (persisted is RoundCompleted or JobCompleted or JobFailed or JobCancelled or ShardVerified { Outcome: VerdictOutcome.Fraud }) Settle();
        then?.Invoke(persisted);
    });

    /// <summary>
    /// While the job runs, the blob store keeps every blob its state references (round states, shard ends, checkpoints); once it ends they
    /// are let go, and its result ages out of the store after the retention period like any other blob.
    /// </summary>
    private void PinBlobs()
    {
        if (_state.IsTerminal) _services.Store.Unpin(_state.JobId);
        else _services.Store.Pin(_state.JobId, _state.ReferencedBlobs());
    }

    protected override void PostStop()
    {
        if (_state.Exists) _services.Store.Unpin(_state.JobId);
        base.PostStop();
    }

    /// <summary>Answers for an id that was never submitted, and lets the entity go.</summary>
    private bool Known()
    {
        if (_state.Exists) return true;
        Sender.Tell(new UnknownJob(Uri.UnescapeDataString(Self.Path.Name)));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        return false;
    }

    private void Start(StartJob start)
    {
        if (_state.Exists)
        {
            // The same submission again is answered as before; another spec under a taken id is refused.
            Sender.Tell(_state.SpecYaml == start.SpecYaml && _state.Ledger.Payer == start.Payer
                ? new JobAccepted(_state.JobId, _state.Spec!.Name)
                : new JobRejected([$"job id {_state.JobId} is taken by another submission; submit again (a new id and deposit)"]));
            return;
        }
        JobSpec spec;
        try
        {
            spec = JobSpecParser.ParseNetwork(start.SpecYaml);
        }
        catch (JobSpecException e)
        {
            Sender.Tell(new JobRejected(e.Errors));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        var replyTo = Sender;
        Record(new JobSubmitted(start.JobId, start.SpecYaml, start.BaseDirectory, DateTimeOffset.UtcNow, start.Payer, start.DepositMicros, start.Price, start.Owner ?? start.Payer), e =>
        {
            _log.Info("Job {0} ({1}) submitted", start.JobId, spec.Name);
            _services.Catalog.Tell(new CatalogJob(start.JobId));
            replyTo.Tell(new JobAccepted(start.JobId, spec.Name));
            Advance();
        });
    }

    private void Cancel(CancelJob cancel)
    {
        if (!Known()) return;
        if (_state.IsTerminal)
        {
            Sender.Tell(new RequestFailed($"job {_state.JobId} is already {_state.Phase.ToString().ToLowerInvariant()}; nothing to cancel", InvalidInput: true));
            return;
        }
        var replyTo = Sender;
        var reason = string.IsNullOrWhiteSpace(cancel.Reason) ? "cancelled by the requester" : cancel.Reason[..Math.Min(cancel.Reason.Length, 200)];
        Record(new JobCancelled(reason, DateTimeOffset.UtcNow), e =>
        {
            StopShards();
            _log.Info("Job {0} cancelled", _state.JobId);
            replyTo.Tell(new JobCancelAccepted(_state.JobId, "cancelled"));
        });
    }

    private void GetResult(GetJobResult get)
    {
        if (!Known()) return;
        if (_state.Result is not { } result)
        {
            var where = _state.IsTerminal ? $"{_state.Phase.ToString().ToLowerInvariant()} without a model" : $"still {_state.Phase.ToString().ToLowerInvariant()} (round {Math.Max(_state.Round, 0) + 1} of {_state.Spec!.Training.Rounds})";
            Sender.Tell(new RequestFailed($"job {_state.JobId} is {where}; `gensyn watch {_state.JobId}` waits for it", InvalidInput: true));
            return;
        }
        if (!_services.Store.Contains(result.Model))
        {
            Sender.Tell(new RequestFailed($"job {_state.JobId}'s model is no longer held (it was collected after the blob retention period); its hash was {result.Model}", InvalidInput: false));
            return;
        }
        var replyTo = Sender;
        var jobId = _state.JobId;
        BlobTransfer.Offer(_services.Store, result.Model, Context.Materializer()).ContinueWith(offer => offer.IsCompletedSuccessfully
            ? offer.Result
            : (IGensynMessage)new RequestFailed($"job {jobId}'s model is unavailable: {offer.Exception?.GetBaseException().Message}", InvalidInput: false)).PipeTo(replyTo);
    }

    private void OnAssignRequested(ShardActor.AssignRequested request)
    {
        if (!_state.RoundOpen || _state.IsTerminal || _state.Shards[request.Shard].Done) return;
        if (Excluded().Covers(request.WorkerId, request.Address))
        {
            Sender.Tell(new ShardActor.Excluded(Excluded()));
            return;
        }
        var epoch = _state.NextEpoch(request.Shard);
        var child = Sender;
        _waiting.Remove(request.Shard);
        Record(new ShardAssigned(_state.Round, request.Shard, epoch, request.WorkerId, DateTimeOffset.UtcNow), _ =>
        {
            _progress.Remove(request.Shard);
            child.Tell(new ShardActor.AssignConfirmed(epoch, _state.Shards[request.Shard].Checkpoint));
        });
    }

    private void OnShardLost(ShardActor.Lost lost)
    {
        _progress.Remove(lost.Shard);
        if (!_state.RoundOpen || _state.IsTerminal || _state.Shards[lost.Shard].Done
            || !_state.Shards[lost.Shard].Live.TryGetValue(lost.Epoch, out var live) || live != lost.WorkerId) return;
        Record(new ShardReleased(_state.Round, lost.Shard, lost.Epoch, lost.WorkerId, lost.Reason, DateTimeOffset.UtcNow, lost.CountsAsFailure),
            e => FailIfExhausted(e.Round, e.Shard, e.Reason));
    }

    private Exclusion Excluded() => new(_state.ExcludedWorkers.Order(StringComparer.Ordinal).ToList(), _state.ExcludedAddresses.Order(StringComparer.Ordinal).ToList());

    /// <summary>A shard that failed (or was rejected) on K different workers fails its job.</summary>
    private void FailIfExhausted(int round, int shard, string last)
    {
        var failed = _state.Shards[shard].FailedWorkers;
        if (failed.Count < _maxShardFailures || _state.IsTerminal) return;
        var reason = $"round {round} shard {shard} failed on {failed.Count} different workers ({string.Join(", ", failed.Order(StringComparer.Ordinal))}); last: {last}";
        _log.Error("Job {0} failed: {1}", _state.JobId, reason);
        Record(new JobFailed(reason, DateTimeOffset.UtcNow), _ => StopShards());
    }

    /// <summary>Journals a result's verdict; an accepted result completes its shard, a rejected one sends it to another worker.</summary>
    private void OnJudged(ShardActor.Judged judged)
    {
        var (result, verdict) = (judged.Result, judged.Verdict);
        _verifying.Remove(result.Shard);
        var child = Sender;
        var now = DateTimeOffset.UtcNow;
        // The second replica judged after the shard completed with the other one's result: its verdict still counts.
        var secondReplica = _state.Replicas == 2 && _state.RoundOpen && result.Round == _state.Round && result.Shard >= 0
            && result.Shard < _state.Shards.Count && _state.Shards[result.Shard].Done;
        if (!secondReplica && _state.Reject(result) is { } reason)
        {
            _log.Warning("Job {0}: ignored the result of round {1} shard {2}: {3}", _state.JobId, result.Round, result.Shard, reason);
            return;
        }
        var why = verdict.Reason.Length > 500 ? verdict.Reason[..500] : verdict.Reason;
        var verified = new ShardVerified(result.Round, result.Shard, result.Epoch, result.WorkerId, judged.WorkerAddress, verdict.Outcome, why,
            result.MerkleRoot, result.Signature, judged.Steps, judged.Secret, verdict.Step, verdict.Expected, verdict.Claimed, verdict.ClaimSignature,
            verdict.RelativeError, result.TrainSeconds, verdict.VerifySeconds, now);
        if (!verdict.IsAccepted)
        {
            Record(verified, e =>
            {
                _progress.Remove(e.Shard);
                var excluded = Excluded();
                foreach (var other in _shards.Values.Where(s => !s.Equals(child))) other.Tell(new ShardActor.Excluded(excluded));
                child.Tell(new ShardActor.Rejected(excluded));
                FailIfExhausted(e.Round, e.Shard, $"{e.Outcome.ToString().ToLowerInvariant()}: {e.Reason}");
            });
            return;
        }
        if (secondReplica)
        {
            Record(verified, _ => child.Tell(verdict.IsAccepted ? new ShardActor.Accepted() : new ShardActor.Rejected(Excluded())));
            return;
        }
        var meanLoss = result.Losses.Average(l => (double)l);
        Record(verified);
        Record(new ShardCompleted(result.Round, result.Shard, result.Epoch, result.WorkerId, result.EndState, result.MerkleRoot, meanLoss, now), e =>
        {
            _progress.Remove(result.Shard);
            child.Tell(new ShardActor.Accepted());
            _shards.Remove(result.Shard);
            Advance();
        });
    }

    private void OnComputed(Computed computed)
    {
        _computing = false;
        if (_state.IsTerminal) return;
        switch (computed.Result)
        {
            case JobCompute.PreparedRound prepared when !_state.RoundOpen && prepared.Round == _state.CompletedRounds:
                Record(new RoundStarted(prepared.Round, prepared.Global, prepared.ShardStarts, prepared.Sizes, DateTimeOffset.UtcNow, prepared.ShardSteps), e =>
                {
                    Advance();
                });
                break;
            case JobCompute.PreparedRound again when _state.RoundOpen && again.Round == _state.Round:
                if (!again.ShardStarts.SequenceEqual(_state.ShardStarts))
                {
                    Self.Tell(new ComputeFailed($"recomputing round {again.Round}'s start states gave different bytes; the determinism contract is broken"));
                    break;
                }
                _log.Info("Job {0}: round {1}'s start states restored", _state.JobId, again.Round);
                foreach (var child in _shards.Values) child.Tell(new ShardActor.StartStateRestored());
                break;
            case JobCompute.AggregatedRound aggregated when _state.RoundOpen && aggregated.Round == _state.Round:
                var meanLoss = _state.Shards.Average(s => s.MeanLoss);
                Record(new RoundCompleted(aggregated.Round, aggregated.Global, aggregated.Digest, meanLoss, DateTimeOffset.UtcNow), e =>
                {
                    _log.Info("Job {0}: round {1} of {2} done, mean loss {3:F4}", _state.JobId, e.Round + 1, _state.Spec!.Training.Rounds, meanLoss);
                    Advance();
                });
                break;
            case JobCompleted completed:
                Record(completed, e =>
                {
                    _log.Info("Job {0} completed: test accuracy {1:P2}, final digest {2}", _state.JobId, e.TestAccuracy, e.FinalDigest);
                });
                break;
            default:
                Advance();
                break;
        }
    }

    /// <summary>Starts whatever the job needs next, unless something is already in flight.</summary>
    private void Advance()
    {
        var spec = _state.Spec!;
        switch (_state.Next())
        {
            case NextStep.StartRound when !_computing:
                Compute(_services.Compute.PrepareRound(spec, _state.CompletedRounds, _state.LastGlobal, _state.LastShardEnds));
                break;
            case NextStep.RunShards:
                foreach (var shard in _state.Shards.Where(s => !s.Done && !_shards.ContainsKey(s.Shard)))
                {
                    var order = new ShardOrder(_state.JobId, _state.Round, shard.Shard, _state.SpecYaml, _state.BaseDirectory,
                        _state.ShardStarts[shard.Shard], _state.ShardStartSizes[shard.Shard], _state.StepsOf(shard.Shard), spec.Verification.Samples,
                        WorkerOptions.NumericClassFor(spec.Training.Threads), Excluded(), Needs: Needs(spec), Inference: spec.IsInference,
                        StepWork: Gensyn.Training.Models.ModelCost.StepWork(spec));
                    Props ShardProps(ShardOrder o) => ShardActor.Props(o, _services.Registry, _services.Blobs, _services.Store, _services.Verifiers, _services.Network);
                    var props = _state.Replicas == 2
                        ? ReplicatedShardActor.Props(order, ShardProps, _services.Verifiers, _services.Blobs)
                        : ShardProps(order);
                    _shards[shard.Shard] = Context.ActorOf(props, $"round-{_state.Round}-shard-{shard.Shard}");
                }
                break;
            case NextStep.Aggregate when !_computing:
                Compute(_services.Compute.Aggregate(spec, _state.Round, _state.RoundGlobal!.Value, _state.Shards.Select(s => s.EndState!.Value).ToList()));
                break;
            case NextStep.Finish when !_computing:
                Compute(_services.Compute.Finish(spec, _state.JobId, _state.LastGlobal!.Value));
                break;
        }
    }

    private ShardNeeds Needs(JobSpec spec) => Market.NetworkRules.Needs(spec, Context.System.Settings.Config);

    private void Compute<T>(Task<T> work) where T : notnull
    {
        _computing = true;
        work.ContinueWith(t => t.IsCompletedSuccessfully
            ? (object)new Computed(t.Result)
            : new ComputeFailed(t.Exception?.GetBaseException().Message ?? "the computation was cancelled")).PipeTo(Self);
    }

    /// <summary>Sends every settlement order still due to the SettlementActor, and again every few seconds until each has its outcome.</summary>
    private void Settle()
    {
        if (_services.Settlement is not { } settlement) return;
        var due = _state.SettlementsDue;
        foreach (var order in due) settlement.Tell(order);
        if (due.Count > 0) Timers.StartSingleTimer("settle", new SettleTick(), SettleRetry);
        else Timers.Cancel("settle");
    }

    private void StopShards()
    {
        foreach (var child in _shards.Values) child.Tell(new ShardActor.Abandon());
        _shards.Clear();
        _progress.Clear();
        _verifying.Clear();
        _waiting.Clear();
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A provider's worker. It reaches the coordinators only through its <see cref="ICoordinatorLink"/> (a session it dials out to a
/// coordinator's edge; it is never a cluster member and listens on no port), registers with the address of its key, and runs one shard at a time: fetch
/// the start state by hash, train H steps on the training thread (progress every few steps, a checkpoint
/// uploaded every C steps), upload the end state, and send the signed result with its Merkle commitment to
/// the shard's actor. It keeps what it needs to answer that shard's challenge: asked to open steps, it
/// recomputes the states from its checkpoints, uploads them and sends them back with signed proofs.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private sealed record RegisterTick : INoSerializationVerificationNeeded;
    private sealed record StakeOutcome(string Message, bool Ok) : INoSerializationVerificationNeeded;
    private sealed record Measured(double StepsPerSecond) : INoSerializationVerificationNeeded;
    private sealed record BandwidthMeasured(double Mbps, string? Failure) : INoSerializationVerificationNeeded;
    private enum ChainState { Unknown, Staking, Known }
    private sealed record Finished(ShardAssignment Assignment, string? Failure, Committed? Committed = null) : INoSerializationVerificationNeeded;
    private sealed record Answered(OpenSteps Request, string? Failure) : INoSerializationVerificationNeeded;

    /// <summary>The last shard this worker committed to (its signed result), kept until it is judged or abandoned.</summary>
    /// <summary>In replicated mode the result waits behind <see cref="Seal"/> until both replicas sealed; <see cref="Result"/> then carries the salt.</summary>
    /// <summary>An inference shard has no <see cref="Trajectory"/> or tree to open: its predictions went to the coordinator whole.</summary>
    private sealed record Committed(ShardAssignment Assignment, ShardTrajectory? Trajectory, MerkleTree? Tree, ShardResult Result, Sha256Digest? Seal = null);


    private readonly WorkerOptions _options;
    private readonly TrainingThread _thread = new("worker-training");
    private readonly BlobStore _store;
    private readonly WorkerKey _key;
    private readonly WorkerBehavior _behavior;
    private readonly double _fakeFraction;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Committed? _committed;
    private readonly ICoordinatorLink _link;
    private IActorRef _coordinators = ActorRefs.Nobody;
    private ChainState _chain = ChainState.Unknown;
    private bool _askingChain;

    /// <summary>The network this worker's claims are signed for (the EIP-712 domain): learnt with the chain, before it registers.</summary>
    private ClaimDomain _network = ClaimDomain.None;

    /// <summary>How often the signed capability profile is signed again, so that it never goes stale at the registry.</summary>
    private static readonly TimeSpan ProfileRefresh = TimeSpan.FromMinutes(1);

    /// <summary>Reference training steps per second on this worker's threads, measured at start (null until then).</summary>
    private double? _throughput;

    /// <summary>Megabits per second from the coordinators, measured at start (null until then); <see cref="_probing"/> while a probe runs.</summary>
    private double? _bandwidth;
    private bool _probing;

    /// <summary>The capability profile, signed once its measurements are in; sent with every registration.</summary>
    private RegisterWorker? _signedProfile;
    private bool _registered;
    private ShardAssignment? _current;
    private CancellationTokenSource? _cancel;
    private readonly JobSessionCache<TrainingSession> _session = new();
    private readonly JobSessionCache<InferenceSession> _inference = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WorkerOptions options, ICoordinatorLink link) => Akka.Actor.Props.Create(() => new WorkerActor(options, link));

    public WorkerActor(WorkerOptions options, ICoordinatorLink link)
    {
        _options = options;
        _link = link;
        _store = new BlobStore(Path.Combine(options.DataDirectory, "blobs"));
        _key = WorkerKey.LoadOrCreate(options.KeyFile);
        (_behavior, _fakeFraction) = Misbehaviour();

        Receive<RegisterTick>(_ =>
        {
            // On a network that settles on chain, a provider registers once its stake is in place.
            if (_chain == ChainState.Unknown && !_askingChain)
            {
                _askingChain = true;
                _link.NetworkAsync(CancellationToken.None).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result
                    : new RequestFailed(t.Exception?.GetBaseException().Message ?? "cancelled", InvalidInput: false)).PipeTo(Self);
            }
            if (_bandwidth is null && !_probing) ProbeBandwidth();
            if (_chain != ChainState.Known || _throughput is not { } throughput || _bandwidth is not { } bandwidth) return;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (_signedProfile is null || now - _signedProfile.IssuedAtUnixMs > ProfileRefresh.TotalMilliseconds)
            {
                var profile = new RegisterWorker(options.WorkerId, Self, options.Device, options.MemoryGb, options.Threads, options.NumericClass,
                    options.PricePerHour, _key.Address, throughput, bandwidth, IssuedAtUnixMs: now);
                _signedProfile = profile with { Signature = ClaimSigner.Sign(_key, CapabilityClaim.From(profile, _network)) };
            }
            _coordinators.Tell(_signedProfile);
        });
        Receive<ChainInfo>(info =>
        {
            _askingChain = false;
            if (_chain != ChainState.Unknown) return;
            _chain = ChainState.Staking;
            _network = ClaimDomain.Of(info);
            ProviderStake.EnsureAsync(info, _key).ContinueWith(t => new StakeOutcome(t.IsCompletedSuccessfully ? t.Result
                : $"could not check this provider's stake on chain {info.ChainId}: {(t.Exception is { } e ? RevertReasons.Describe(e.GetBaseException()) : "cancelled")}",
                t.IsCompletedSuccessfully)).PipeTo(Self);
        });
        Receive<BandwidthMeasured>(measured =>
        {
            _probing = false;
            if (measured.Failure is { } failure)
            {
                _log.Warning("Could not measure bandwidth from the coordinators ({0}); trying again", failure);
                return;
            }
            _bandwidth = Math.Round(measured.Mbps, 1);
            _log.Info("Bandwidth from the coordinators: {0:F0} Mbps", _bandwidth);
            Self.Tell(new RegisterTick());
        });
        Receive<Measured>(measured =>
        {
            _throughput = measured.StepsPerSecond;
            _log.Info("Reference training step: {0:F1} steps/s on {1} thread(s)", measured.StepsPerSecond, options.Threads);
            Self.Tell(new RegisterTick());
        });
        Receive<StakeOutcome>(outcome =>
        {
            _chain = outcome.Ok ? ChainState.Known : ChainState.Unknown;
            if (outcome.Ok) _log.Info("{0}", outcome.Message);
            else _log.Warning("{0}", outcome.Message);
            if (outcome.Ok) Self.Tell(new RegisterTick());
        });
        Receive<NoChain>(_ =>
        {
            // The coordinators do not settle on chain: nothing to stake.
            _askingChain = false;
            if (_chain != ChainState.Unknown) return;
            _chain = ChainState.Known;
            _network = ClaimDomain.None;
            Self.Tell(new RegisterTick());
        });
        // The coordinators cannot tell their chain yet: the next tick asks again.
        Receive<RequestFailed>(failed =>
        {
            _askingChain = false;
            _log.Debug("The coordinators answered: {0}", failed.Message);
        });
        Receive<WorkerRegistered>(_ =>
        {
            if (_registered) return;
            _registered = true;
            _log.Info("Worker {0} registered with the coordinators ({1}, {2}, key {3})", options.WorkerId, options.Device, options.NumericClass, _key.Address);
        });
        Receive<WorkerRefused>(refused => _log.Warning("The coordinators refused worker {0}: {1}", refused.WorkerId, refused.Reason));
        Receive<ShardAssignment>(Assign);
        Receive<OpenSteps>(Open);
        Receive<RevealShard>(reveal =>
        {
            if (Holds(reveal.JobId, reveal.Round, reveal.Shard, reveal.Epoch) is { } c) c.Assignment.ShardActor.Tell(c.Result);
        });
        Receive<BisectQuery>(query =>
        {
            if (Holds(query.JobId, query.Round, query.Shard, query.Epoch) is not { Tree: not null } c || _behavior == WorkerBehavior.Refuser) return;
            Sender.Tell(Bisect(c, query));
        });
        Receive<Answered>(answered =>
        {
            var r = answered.Request;
            if (answered.Failure is { } failure) _log.Warning("Could not open {0} round {1} shard {2}'s challenged steps: {3}", r.JobId, r.Round, r.Shard, failure);
            else _log.Info("Opened {0} round {1} shard {2}'s challenged steps {3}", r.JobId, r.Round, r.Shard, string.Join(", ", r.Steps));
        });
        Receive<AbandonShard>(abandon =>
        {
            if (_committed?.Assignment is { } k && k.JobId == abandon.JobId && k.Round == abandon.Round && k.Shard == abandon.Shard && k.Epoch == abandon.Epoch)
                _committed = null;
            if (_current is { } c && c.JobId == abandon.JobId && c.Round == abandon.Round && c.Shard == abandon.Shard && c.Epoch == abandon.Epoch)
            {
                _log.Info("Abandoning {0} round {1} shard {2} as the coordinator asked", c.JobId, c.Round, c.Shard);
                Drop();
            }
        });
        Receive<CoordinatorLost>(lost =>
        {
            // Whatever the coordinators knew of this session is gone with it: its shard runs elsewhere, its result is never judged.
            _committed = null;
            _registered = false;
            if (_current is not { } c) return;
            _log.Warning("The session that assigned {0} round {1} shard {2} ended ({3}); abandoning the shard", c.JobId, c.Round, c.Shard, lost.Reason);
            Drop();
        });
        Receive<Finished>(finished =>
        {
            var a = finished.Assignment;
            if (finished.Failure is { } failure)
            {
                _log.Warning("{0} round {1} shard {2} failed: {3}", a.JobId, a.Round, a.Shard, failure);
                a.ShardActor.Tell(new ShardFailed(a.JobId, a.Round, a.Shard, a.Epoch, options.WorkerId, failure[..Math.Min(failure.Length, 500)]));
            }
            if (finished.Committed is { } committed && ReferenceEquals(_current, a))
            {
                // Kept before the result (or its seal) leaves, so the challenge that follows finds it.
                _committed = committed;
                if (committed.Seal is { } seal) a.ShardActor.Tell(new ShardSealed(a.JobId, a.Round, a.Shard, a.Epoch, options.WorkerId, seal));
                else a.ShardActor.Tell(committed.Result);
            }
            if (ReferenceEquals(_current, a))
            {
                _current = null;
                _cancel = null;
            }
        });
    }

    protected override void PreStart()
    {
        _coordinators = Context.ActorOf(_link.SessionProps(Self, _key), "session");
        _thread.WarmUp();
        _thread.Run(() => ReferenceStep.MeasureStepsPerSecond(_options.Threads, TimeSpan.FromMilliseconds(500)))
            .ContinueWith(t => new Measured(t.IsCompletedSuccessfully ? t.Result : 0)).PipeTo(Self);
        Self.Tell(new RegisterTick());
        Timers.StartPeriodicTimer("register", new RegisterTick(), TimeSpan.FromSeconds(3));
    }

    protected override void PostStop()
    {
        _cancel?.Cancel();
        _thread.Dispose();
        _session.Dispose();
        _inference.Dispose();
    }

    /// <summary>Times a transfer from a coordinator's edge.</summary>
    private void ProbeBandwidth()
    {
        _probing = true;
        _link.MeasureBandwidthMbpsAsync(CancellationToken.None)
            .ContinueWith(t => new BandwidthMeasured(t.IsCompletedSuccessfully ? t.Result : 0,
                t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "cancelled"))
            .PipeTo(Self);
    }

    /// <summary>Stops the current shard and is free at once: a transfer or step still in flight ends on its own and is ignored.</summary>
    private void Drop()
    {
        _cancel?.Cancel();
        _cancel = null;
        _current = null;
    }

    private void Assign(ShardAssignment a)
    {
        if (_current is { } busy)
        {
            if (busy.JobId == a.JobId && busy.Round == a.Round && busy.Shard == a.Shard && busy.Epoch == a.Epoch) return;
            a.ShardActor.Tell(new ShardFailed(a.JobId, a.Round, a.Shard, a.Epoch, _options.WorkerId, $"busy with {busy.JobId} round {busy.Round} shard {busy.Shard}"));
            return;
        }
        _log.Info("Assigned {0} round {1} shard {2} (epoch {3}){4}", a.JobId, a.Round, a.Shard, a.Epoch,
            a.ResumeFrom is { } r ? $", resuming from checkpoint {r}" : "");
        _current = a;
        _committed = null;
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;
        var self = Self;
        Run(a, token).ContinueWith(t => t.IsCompletedSuccessfully
                ? new Finished(a, null, t.Result)
                : new Finished(a, token.IsCancellationRequested ? null : t.Exception?.GetBaseException().Message ?? "failed"))
            .PipeTo(self);
    }

    private async Task<Committed> Run(ShardAssignment a, CancellationToken token)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var startBytes = await _link.FetchAsync(a.StartState, token);
        _store.Put(a.StartState, startBytes);
        var start = CheckpointFile.Deserialize(startBytes, $"start state {a.StartState}").State;
        ShardCheckpoint? resume = null;
        if (a.ResumeFrom is { } checkpoint)
        {
            var bytes = await _link.FetchAsync(checkpoint, token);
            resume = ShardCheckpointFile.Deserialize(bytes, $"checkpoint {checkpoint}");
            if (resume.Round != a.Round || resume.Shard != a.Shard)
                throw new CheckpointException($"checkpoint {checkpoint} belongs to round {resume.Round} shard {resume.Shard}");
        }
        var fetched = clock.Elapsed;
        a.ShardActor.Tell(new ShardProgress(a.JobId, a.Round, a.Shard, a.Epoch, _options.WorkerId, resume?.LocalStep ?? 0, float.NaN));
        if (Behavior == "stall")
        {
            _log.Warning("GENSYN_WORKER_BEHAVIOR=stall: holding {0} round {1} shard {2} without progress", a.JobId, a.Round, a.Shard);
            await Task.Delay(Timeout.Infinite, token);
        }
        var spec = JobSpecParser.ParseNetwork(a.SpecYaml);
        if (spec.IsInference) return await Infer(a, spec, start, clock, fetched, token);
        var observer = new Observer(this, a, spec.Training.InnerSteps);
        var (trajectory, prepared) = await _thread.Run(() =>
        {
            var (session, trainCount) = Session(a, spec);
            var ready = clock.Elapsed;
            var task = ShardTask.For(spec, a.Round, a.Shard, trainCount);
            return (ShardTrajectory.Run(session, task, start, _behavior, _fakeFraction, observer, resume, token), ready);
        });
        var trained = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var outcome = trajectory.Outcome;
        var endBytes = CheckpointFile.Serialize(outcome.FinalState);
        var endHash = _store.Put(endBytes);
        await _link.UploadAsync(endHash, endBytes, token);
        token.ThrowIfCancellationRequested();
        var root = outcome.MerkleRoot;
        var replicated = spec.Verification.Mode == VerificationMode.Replicated;
        if (replicated && _behavior == WorkerBehavior.Copycat && await CopiedRoot(a, token) is { } copied) root = copied;
        var salt = replicated ? ReplicaSeal.NewSalt() : null;
        var result = new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, _options.WorkerId, endHash, root, outcome.Losses.ToList(), "",
            Math.Round((trained - prepared).TotalSeconds, 3), salt is null ? null : Convert.ToHexStringLower(salt));
        result = result with { Signature = ClaimSigner.Sign(_key, ShardResultClaim.From(result, _network)) };
        _log.Info($"{a.JobId} round {a.Round} shard {a.Shard} done: root {outcome.MerkleRoot} (fetch {fetched.TotalMilliseconds:F0} ms, " +
                  $"data and model {(prepared - fetched).TotalMilliseconds:F0} ms, train {(trained - prepared).TotalMilliseconds:F0} ms, upload {(clock.Elapsed - trained).TotalMilliseconds:F0} ms)");
        return new Committed(a, trajectory, new MerkleTree(outcome.StepDigests), result, salt is null ? null : ReplicaSeal.Seal(root, salt, _options.WorkerId));
    }

    /// <summary>
    /// Runs an inference shard: the model's logits for each batch of the shard's items, uploaded whole as the predictions
    /// file, committed to by the Merkle root over the batches and signed. A lazy worker (test-only) skips the forward pass
    /// on a fraction of the batches and commits to made-up logits instead.
    /// </summary>
    private async Task<Committed> Infer(ShardAssignment a, JobSpec spec, Training.State.StateSnapshot weights, System.Diagnostics.Stopwatch clock,
                                        TimeSpan fetched, CancellationToken token)
    {
        Func<int, bool>? fake = _behavior == WorkerBehavior.Lazy ? batch => batch * 0.6180339887 % 1.0 < _fakeFraction : null;
        var prepared = TimeSpan.Zero;
        var outcome = await _thread.Run(() =>
        {
            var session = InferenceSession(a, spec);
            prepared = clock.Elapsed;
            var observer = new Observer(this, a, session.Shard(a.Shard).Batches);
            return session.RunShard(weights, a.Shard, observer.OnStep, token, fake);
        });
        var inferred = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var bytes = PredictionsFile.Serialize(outcome.Predictions);
        var hash = _store.Put(bytes);
        await _link.UploadAsync(hash, bytes, token);
        token.ThrowIfCancellationRequested();
        var result = new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, _options.WorkerId, hash, outcome.Root, outcome.Losses.ToList(), "",
            Math.Round((inferred - prepared).TotalSeconds, 3));
        result = result with { Signature = ClaimSigner.Sign(_key, ShardResultClaim.From(result, _network)) };
        _log.Info($"{a.JobId} shard {a.Shard} predicted: {outcome.Predictions.Count} items in {outcome.Losses.Count} batches, root {outcome.Root} " +
                  $"(fetch {fetched.TotalMilliseconds:F0} ms, data and model {(prepared - fetched).TotalMilliseconds:F0} ms, infer {(inferred - prepared).TotalMilliseconds:F0} ms, upload {(clock.Elapsed - inferred).TotalMilliseconds:F0} ms)");
        return new Committed(a, null, null, result);
    }

    /// <summary>An inference job's model and items, kept while consecutive shards belong to the same job (runs on the training thread).</summary>
    private InferenceSession InferenceSession(ShardAssignment a, JobSpec spec)
    {
        return _inference.Get(a.BaseDirectory + "\n" + a.SpecYaml, () => spec, _options.DataDirectory, (s, data) => new InferenceSession(s, data, _options.Compute)).Session;
    }

    /// <summary>
    /// Answers a challenge of the shard this worker last committed to: for every challenged step i, the state after
    /// step i − 1 in full (uploaded as a blob) and leaf i (in full too when asked WithAfter), plus leaves 0 and H,
    /// each with its Merkle proof and signed. A refuser (a test-only misbehaviour) never answers.
    /// </summary>
    private void Open(OpenSteps request)
    {
        if (Holds(request.JobId, request.Round, request.Shard, request.Epoch) is not { Trajectory: not null } c)
        {
            _log.Warning("Asked to open {0} round {1} shard {2} (epoch {3}), which this worker does not hold", request.JobId, request.Round, request.Shard, request.Epoch);
            return;
        }
        if (_behavior == WorkerBehavior.Refuser)
        {
            _log.Warning("GENSYN_WORKER_BEHAVIOR=refuser: ignoring the challenge of {0} round {1} shard {2}", request.JobId, request.Round, request.Shard);
            return;
        }
        var self = Self;
        Answer(c, request).ContinueWith(t => new Answered(request, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "failed"))
            .PipeTo(self);
    }

    private Committed? Holds(string jobId, int round, int shard, int epoch) =>
        _committed is { } c && c.Assignment.JobId == jobId && c.Assignment.Round == round && c.Assignment.Shard == shard && c.Assignment.Epoch == epoch ? c : null;

    /// <summary>Answers one bisection question about the committed tree (hashes only, no training).</summary>
    private BisectReply Bisect(Committed c, BisectQuery query)
    {
        BisectionQuery question = query.Step switch
        {
            BisectStep.Top => new TopQuery(),
            BisectStep.Children => new ChildrenQuery(query.Level, query.Index),
            _ => new LeafQuery(query.Index),
        };
        BisectReply Reply(Sha256Digest? first, Sha256Digest? second = null, Sha256Digest? before = null, LeafProof? proof = null) =>
            new(query.JobId, query.Round, query.Shard, query.Epoch, _options.WorkerId, query.Step, first, second, before, proof);
        try
        {
            return Bisection.Answer(c.Tree!, c.Trajectory!.Outcome.StepDigests, question) switch
            {
                TopAnswer top => Reply(top.Top),
                ChildrenAnswer children => Reply(children.Left, children.Right),
                LeafAnswer leaf => Reply(leaf.Claim, null, leaf.Before,
                    leaf.BeforeProof is { } p ? new LeafProof(p.Index, p.LeafCount, p.Siblings) : null),
                _ => Reply(null),
            };
        }
        catch (ArgumentException)
        {
            return Reply(null);   // a question about a node this tree does not have
        }
    }

    /// <summary>
    /// Test-only copycat: instead of training, take the other replica's root from a leaked log
    /// (GENSYN_COPYCAT_LEAK, a file another worker logs to), waiting up to a minute for it.
    /// </summary>
    private static async Task<Sha256Digest?> CopiedRoot(ShardAssignment a, CancellationToken token)
    {
        var leak = Environment.GetEnvironmentVariable("GENSYN_COPYCAT_LEAK");
        if (string.IsNullOrEmpty(leak)) return null;
        var pattern = new System.Text.RegularExpressions.Regex($@"{a.JobId} round {a.Round} shard {a.Shard} done: root ([0-9a-f]{{64}})");
        for (var i = 0; i < 600 && !token.IsCancellationRequested; i++)
        {
            if (File.Exists(leak))
            {
                using var reader = new StreamReader(new FileStream(leak, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
                if (pattern.Match(await reader.ReadToEndAsync(token)) is { Success: true } m && Sha256Digest.TryParse(m.Groups[1].Value, out var root)) return root;
            }
            await Task.Delay(100, token);
        }
        return null;
    }

    private async Task Answer(Committed c, OpenSteps request)
    {
        var a = c.Assignment;
        var trajectory = c.Trajectory!;
        var digests = trajectory.Outcome.StepDigests;
        var plan = ChallengeAnswer.For(request.Steps, digests.Count - 1, request.WithAfter);
        var spec = JobSpecParser.ParseNetwork(a.SpecYaml);
        var opened = await _thread.Run(() =>
        {
            var (session, _) = Session(a, spec);
            return plan.Leaves.Select(i => (Leaf: i, State: plan.Full.Contains(i) ? CheckpointFile.Serialize(trajectory.OpenState(session, i)) : null)).ToList();
        });
        var leaves = new List<OpenedLeaf>();
        foreach (var (leaf, bytes) in opened)
        {
            Sha256Digest? blob = null;
            if (bytes is not null)
            {
                blob = _store.Put(bytes);
                await _link.UploadAsync(blob.Value, bytes, CancellationToken.None);
            }
            leaves.Add(ChallengeAnswer.Leaf(plan, leaf, digests, c.Tree!, c.Result, blob, _key, _network));
        }
        a.ShardActor.Tell(new StepsOpened(a.JobId, a.Round, a.Shard, a.Epoch, _options.WorkerId, leaves));
    }

    /// <summary>The job's session, kept while consecutive shards belong to the same job (runs on the training thread).</summary>
    private (TrainingSession Session, long TrainCount) Session(ShardAssignment a, JobSpec spec)
    {
        var (session, data) = _session.Get(a.BaseDirectory + "\n" + a.SpecYaml, () => spec, _options.DataDirectory, (s, d) => new TrainingSession(s, d, _options.Compute));
        return (session, data.Train.Count);
    }

    /// <summary>
    /// Test-only misbehaviour, hidden from --help: GENSYN_WORKER_BEHAVIOR=stall takes a shard and never progresses;
    /// lazy | noisy | stale | wrong-data | copycat | refuser cheat as <see cref="WorkerBehavior"/> describes, faking
    /// a fraction GENSYN_WORKER_FAKE_FRACTION (default 0.25) of the steps where that applies.
    /// </summary>
    private static string? Behavior => Environment.GetEnvironmentVariable("GENSYN_WORKER_BEHAVIOR");

    private (WorkerBehavior, double) Misbehaviour()
    {
        if (Behavior == "stall") return (WorkerBehavior.Honest, 0);
        var behavior = WorkerBehaviors.Parse(Behavior);
        var fraction = double.TryParse(Environment.GetEnvironmentVariable("GENSYN_WORKER_FAKE_FRACTION"), System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : 0.25;
        if (behavior != WorkerBehavior.Honest) _log.Warning("GENSYN_WORKER_BEHAVIOR={0}: this worker cheats (fake fraction {1})", behavior, fraction);
        return (behavior, fraction);
    }

    /// <summary>Progress every few steps and at least every second (the coordinator's stall deadline feeds on it); each checkpoint stored locally and uploaded in the background.</summary>
    private sealed class Observer(WorkerActor worker, ShardAssignment a, int innerSteps) : IShardObserver
    {
        private readonly int _every = Math.Max(1, innerSteps / 20);
        private long _lastSent = Environment.TickCount64;

        public void OnStep(int localStep, float loss)
        {
            var now = Environment.TickCount64;
            if (localStep % _every != 0 && now - _lastSent < 1000) return;
            _lastSent = now;
            a.ShardActor.Tell(new ShardProgress(a.JobId, a.Round, a.Shard, a.Epoch, worker._options.WorkerId, localStep, loss));
        }

        public void OnCheckpoint(ShardCheckpoint checkpoint)
        {
            var bytes = ShardCheckpointFile.Serialize(checkpoint);
            var hash = worker._store.Put(bytes);
            worker._link.UploadAsync(hash, bytes, CancellationToken.None).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                    a.ShardActor.Tell(new ShardCheckpointed(a.JobId, a.Round, a.Shard, a.Epoch, worker._options.WorkerId, checkpoint.LocalStep, hash));
            });
        }
    }
}

using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>One shard of the current round, as the journal knows it.</summary>
public sealed class ShardRecord(int shard)
{
    public int Shard { get; } = shard;
    public int Epoch { get; set; }
    public string? WorkerId { get; set; }
    public bool Done { get; set; }
    public Sha256Digest? EndState { get; set; }
    public Sha256Digest? MerkleRoot { get; set; }
    public double MeanLoss { get; set; }

    /// <summary>The latest checkpoint of the current epoch's worker, if any.</summary>
    public Sha256Digest? Checkpoint { get; set; }
    public int CheckpointStep { get; set; }

    /// <summary>Distinct workers this shard failed on in this round (faults, not busy refusals).</summary>
    public HashSet<string> FailedWorkers { get; } = [];

    /// <summary>The assignments whose result still counts, by epoch: one, or two replicas in replicated mode.</summary>
    public SortedDictionary<int, string> Live { get; } = [];

    /// <summary>Forgets an assignment; the shard's worker becomes the latest live one, if any.</summary>
    public void End(int epoch)
    {
        Live.Remove(epoch);
        WorkerId = Live.Count == 0 ? null : Live.Last().Value;
    }
}

/// <summary>
/// A job's state and rules, with no actors and no I/O: <see cref="Apply"/> folds a persisted event in;
/// the Decide methods say which event (if any) a command leads to. The JobActor persists what they
/// decide and applies it, and replays the same events on recovery.
/// </summary>
public sealed class JobState
{
    private readonly List<JobLogEntry> _log = [];
    private readonly List<RoundView> _history = [];
    private readonly List<VerdictView> _verdicts = [];
    private readonly HashSet<string> _excluded = [];
    private readonly HashSet<string> _excludedAddresses = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A round whose match rate (accepted / judged results) is below this is not paid.</summary>
    public const double PaymentThreshold = 0.95;

    public string JobId { get; private set; } = "";
    public string SpecYaml { get; private set; } = "";
    public string BaseDirectory { get; private set; } = "";
    public JobSpec? Spec { get; private set; }
    public JobPhase Phase { get; private set; } = JobPhase.Queued;
    public bool Exists => Spec is not null;
    public bool IsTerminal => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
    public DateTimeOffset SubmittedAt { get; private set; }

    /// <summary>The key that submitted the job (its payer on a network that settles): the only one that may act on it.</summary>
    public string? Owner { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public string? Reason { get; private set; }

    /// <summary>The round in progress (or the last one, once finished); -1 before round 0 starts.</summary>
    public int Round { get; private set; } = -1;
    public bool RoundOpen { get; private set; }
    public Sha256Digest? RoundGlobal { get; private set; }
    public IReadOnlyList<Sha256Digest> ShardStarts { get; private set; } = [];
    public IReadOnlyList<long> ShardStartSizes { get; private set; } = [];

    /// <summary>An inference job's batches per shard (from its round's start); null for a training job.</summary>
    public IReadOnlyList<int>? ShardSteps { get; private set; }

    /// <summary>How many steps (training) or batches (inference) shard <paramref name="shard"/> of the open round runs.</summary>
    public int StepsOf(int shard) => ShardSteps is { } steps && shard >= 0 && shard < steps.Count ? steps[shard] : Spec!.Training.InnerSteps;
    public IReadOnlyList<ShardRecord> Shards { get; private set; } = [];

    /// <summary>The global state after the last completed round (null before round 0 completes).</summary>
    public Sha256Digest? LastGlobal { get; private set; }
    /// <summary>Each shard's end state in the last completed round: its optimizer state carries into the next round.</summary>
    public IReadOnlyList<Sha256Digest>? LastShardEnds { get; private set; }

    public JobCompleted? Result { get; private set; }
    public IReadOnlyList<JobLogEntry> Log => _log;
    public IReadOnlyList<RoundView> History => _history;
    public int CompletedRounds => _history.Count;

    /// <summary>Workers whose result in this job was rejected: they get none of its shards again.</summary>
    public IReadOnlySet<string> ExcludedWorkers => _excluded;

    /// <summary>The keys of those workers: no worker of theirs, under any id, gets this job's shards again.</summary>
    public IReadOnlySet<string> ExcludedAddresses => _excludedAddresses;
    public IReadOnlyList<VerdictView> Verdicts => _verdicts;
    public int RoundAccepted { get; private set; }
    public int RoundRejected { get; private set; }
    public int JobAccepted { get; private set; }
    public int JobRejected { get; private set; }
    public double TrainSeconds { get; private set; }
    public double VerifySeconds { get; private set; }

    /// <summary>Every blob the job needs to go on from here: the round's states, the shards' ends and checkpoints, the last round's, the result.</summary>
    public IReadOnlySet<Sha256Digest> ReferencedBlobs()
    {
        var blobs = new HashSet<Sha256Digest>(ShardStarts);
        if (RoundGlobal is { } global) blobs.Add(global);
        if (LastGlobal is { } last) blobs.Add(last);
        if (LastShardEnds is { } ends) blobs.UnionWith(ends);
        foreach (var shard in Shards)
        {
            if (shard.EndState is { } end) blobs.Add(end);
            if (shard.Checkpoint is { } checkpoint) blobs.Add(checkpoint);
        }
        if (Result is { } result) blobs.Add(result.Model);
        return blobs;
    }

    /// <summary>The Gradient Match Rate of the open round: accepted / judged results (1 before any verdict).</summary>
    public double RoundMatchRate => Rate(RoundAccepted, RoundRejected);

    /// <summary>The Gradient Match Rate of the whole job.</summary>
    public double MatchRate => Rate(JobAccepted, JobRejected);

    /// <summary>The token the job's escrow pays in (its spec's budget.token); stakes and slashes are always GENS.</summary>
    private string PaidIn => Spec?.Budget.Token ?? "GENS";

    private static double Rate(int accepted, int rejected) => accepted + rejected == 0 ? 1.0 : (double)accepted / (accepted + rejected);

    /// <summary>The job's money: its deposit, what its verified results earn, and its settlements on chain.</summary>
    public JobLedger Ledger { get; private set; } = new();

    /// <summary>The settlement orders the job still needs on chain (none on a network that does not settle).</summary>
    public IReadOnlyList<SettlementOrder> SettlementsDue => Ledger.Due(JobId, _history, Phase);

    public void Apply(IJobEvent e)
    {
        ApplyToJob(e);
        Ledger.Apply(e, Spec);
    }

    private void ApplyToJob(IJobEvent e)
    {
        switch (e)
        {
            case JobSubmitted s:
                JobId = s.JobId;
                SpecYaml = s.SpecYaml;
                BaseDirectory = s.BaseDirectory;
                Spec = JobSpecParser.ParseNetwork(s.SpecYaml);
                SubmittedAt = s.At;
                Owner = s.Owner ?? s.Payer;
                Phase = JobPhase.Queued;
                Note(s.At, Spec.IsInference
                    ? $"submitted {Spec.Name}: inference with {Path.GetFileName(Spec.Inference!.Weights)} in {Spec.Training.Shards} shard(s) of batches of {Spec.Training.BatchSize}"
                    : $"submitted {Spec.Name}: {Spec.Training.Rounds} round(s) x {Spec.Training.Shards} shard(s) x {Spec.Training.InnerSteps} step(s), seed {Spec.Training.Seed}");
                if (s.Payer is not null) Note(s.At, $"{s.Payer} deposited {Contracts.Chain.Gens.Format(s.DepositMicros)} {PaidIn} in escrow");
                if (s.Price is { } locked) Note(s.At, $"price locked: {locked.PricePerHour:0.######} GENS per compute-hour, {Contracts.Chain.Gens.Format(locked.ResultPayoutMicros)} GENS per accepted result ({locked.Basis})");
                break;
            case RoundStarted r:
                Round = r.Round;
                RoundOpen = true;
                Phase = JobPhase.Running;
                RoundGlobal = r.GlobalState;
                ShardStarts = r.ShardStarts;
                ShardStartSizes = r.ShardStartSizes;
                ShardSteps = r.ShardSteps;
                Shards = Enumerable.Range(0, r.ShardStarts.Count).Select(i => new ShardRecord(i)).ToList();
                RoundAccepted = RoundRejected = 0;
                Note(r.At, $"round {r.Round} started from {Short(r.GlobalState)}");
                break;
            case ShardAssigned a:
                var assigned = Shards[a.Shard];
                // One live assignment fences out the ones before it; replicated mode keeps the two latest.
                while (assigned.Live.Count >= Replicas) assigned.Live.Remove(assigned.Live.First().Key);
                assigned.Live[a.Epoch] = a.WorkerId;
                assigned.Epoch = a.Epoch;
                assigned.WorkerId = a.WorkerId;
                Note(a.At, $"round {a.Round} shard {a.Shard} assigned to worker {a.WorkerId} (epoch {a.Epoch})");
                break;
            case ShardReleased x:
                Shards[x.Shard].End(x.Epoch);
                if (x.CountsAsFailure) Shards[x.Shard].FailedWorkers.Add(x.WorkerId);
                Note(x.At, $"round {x.Round} shard {x.Shard} lost worker {x.WorkerId} (epoch {x.Epoch}): {x.Reason}");
                break;
            case ShardCheckpointSaved k when k.Round == Round && !Shards[k.Shard].Done && k.LocalStep > Shards[k.Shard].CheckpointStep:
                Shards[k.Shard].Checkpoint = k.Checkpoint;
                Shards[k.Shard].CheckpointStep = k.LocalStep;
                Note(k.At, $"round {k.Round} shard {k.Shard} checkpoint at step {k.LocalStep} from worker {k.WorkerId}: {k.Checkpoint}");
                break;
            case ShardCheckpointSaved:
                break;
            case ShardCheckpointDiscarded d:
                if (Shards[d.Shard].Checkpoint == d.Checkpoint)
                {
                    Shards[d.Shard].Checkpoint = null;
                    Shards[d.Shard].CheckpointStep = 0;
                }
                Note(d.At, $"round {d.Round} shard {d.Shard} checkpoint {Short(d.Checkpoint)} discarded: {d.Reason}; the shard restarts from the round's start");
                break;
            case ShardVerified v:
                _verdicts.Add(new VerdictView(v.Round, v.Shard, v.Epoch, v.WorkerId, v.Outcome, v.Reason, v.Steps.Count));
                TrainSeconds += v.TrainSeconds;
                VerifySeconds += v.VerifySeconds;
                if (v.Outcome == VerdictOutcome.Accepted)
                {
                    RoundAccepted++;
                    JobAccepted++;
                    Note(v.At, $"round {v.Round} shard {v.Shard} verified: worker {v.WorkerId}'s result accepted ({v.Reason})");
                    break;
                }
                RoundRejected++;
                JobRejected++;
                _excluded.Add(v.WorkerId);
                if (!string.IsNullOrEmpty(v.WorkerAddress)) _excludedAddresses.Add(v.WorkerAddress.ToLowerInvariant());
                var rejected = Shards[v.Shard];
                rejected.FailedWorkers.Add(v.WorkerId);
                rejected.End(v.Epoch);
                // Its checkpoints are its own claims: a re-run starts from the round's start state.
                rejected.Checkpoint = null;
                rejected.CheckpointStep = 0;
                Note(v.At, $"round {v.Round} shard {v.Shard} REJECTED ({v.Outcome.ToString().ToLowerInvariant()}): worker {v.WorkerId}: {v.Reason}; the shard re-runs elsewhere and the worker is excluded from this job");
                break;
            case ShardCompleted c:
                var shard = Shards[c.Shard];
                shard.Done = true;
                shard.Live.Clear();
                shard.EndState = c.EndState;
                shard.MerkleRoot = c.MerkleRoot;
                shard.MeanLoss = c.MeanLoss;
                shard.WorkerId = c.WorkerId;
                Note(c.At, $"round {c.Round} shard {c.Shard} completed by worker {c.WorkerId}: mean loss {c.MeanLoss:F4}, root {Short(c.MerkleRoot)}");
                break;
            case RoundCompleted rc:
                RoundOpen = false;
                LastGlobal = rc.GlobalState;
                LastShardEnds = Shards.Select(s => s.EndState!.Value).ToList();
                var rate = RoundMatchRate;
                _history.Add(new RoundView(rc.Round, rc.GlobalState.ToString(), rc.StateDigest.ToString(), rc.MeanLoss,
                    Shards.Select(s => s.MerkleRoot!.Value.ToString()).ToList(), Shards.Select(s => s.WorkerId ?? "").ToList(),
                    rate, rate >= PaymentThreshold, RoundAccepted, RoundAccepted + RoundRejected));
                Note(rc.At, $"round {rc.Round} aggregated: mean loss {rc.MeanLoss:F4}, checkpoint {Short(rc.GlobalState)}, match rate {rate:P1}" +
                    (rate >= PaymentThreshold ? "" : $" (below {PaymentThreshold:P0}: the round is not paid)"));
                break;
            case JobCompleted done:
                Phase = JobPhase.Completed;
                Result = done;
                FinishedAt = done.At;
                Note(done.At, $"completed: test accuracy {done.TestAccuracy:P2}, test loss {done.TestLoss:F4}, final digest {done.FinalDigest}");
                break;
            case JobFailed f:
                End(JobPhase.Failed, f.Reason, f.At);
                break;
            case JobCancelled x:
                End(JobPhase.Cancelled, x.Reason, x.At);
                break;
            case SettlementPosted p:
                var o = p.Outcome;
                Note(p.At, $"{p.Order.Label} {o.Status.ToString().ToLowerInvariant()}: {Contracts.Chain.Gens.Format(o.AmountMicros)} " +
                    (p.Order.Kind == SettlementKind.Slash ? "GENS" : PaidIn) +
                    (o.TxHash is null ? "" : $", tx {o.TxHash}") + (o.Reason.Length == 0 ? "" : $" ({o.Reason})"));
                break;
        }
    }

    /// <summary>A job that ends without a model: failed or cancelled, with the reason.</summary>
    private void End(JobPhase phase, string reason, DateTimeOffset at)
    {
        Phase = phase;
        Reason = reason;
        FinishedAt = at;
        RoundOpen = false;
        Note(at, $"{phase.ToString().ToLowerInvariant()}: {reason}");
    }

    /// <summary>How many assignments of one shard run at once: 2 in replicated mode.</summary>
    public int Replicas => Spec?.Verification.Mode == Contracts.Jobs.VerificationMode.Replicated ? 2 : 1;

    public JobSnapshot ToSnapshot() => new(
        JobId, SpecYaml, BaseDirectory, Phase, SubmittedAt, FinishedAt, Reason, Round, RoundOpen, RoundGlobal,
        ShardStarts.ToList(), ShardStartSizes.ToList(),
        Shards.Select(s => new ShardSnapshot(s.Shard, s.Epoch, s.WorkerId, s.Done, s.EndState, s.MerkleRoot, s.MeanLoss,
            s.Checkpoint, s.CheckpointStep, s.FailedWorkers.Order(StringComparer.Ordinal).ToList(), new Dictionary<int, string>(s.Live))).ToList(),
        LastGlobal, LastShardEnds?.ToList(), Result, _log.ToList(), _history.ToList(),
        new VerificationSnapshot(RoundAccepted, RoundRejected, JobAccepted, JobRejected, TrainSeconds, VerifySeconds,
            _excluded.Order(StringComparer.Ordinal).ToList(), _verdicts.ToList(), _excludedAddresses.Order(StringComparer.Ordinal).ToList()),
        Ledger.ToSnapshot(), ShardSteps?.ToList(), Ledger.Price, Owner);

    /// <summary>The state a snapshot describes (events after it are applied on top).</summary>
    public static JobState FromSnapshot(JobSnapshot s)
    {
        var state = new JobState
        {
            JobId = s.JobId,
            SpecYaml = s.SpecYaml,
            BaseDirectory = s.BaseDirectory,
            Spec = JobSpecParser.ParseNetwork(s.SpecYaml),
            Phase = s.Phase,
            SubmittedAt = s.SubmittedAt,
            Owner = s.Owner ?? s.Settlement?.Payer,
            FinishedAt = s.FinishedAt,
            Reason = s.Reason,
            Round = s.Round,
            RoundOpen = s.RoundOpen,
            RoundGlobal = s.RoundGlobal,
            ShardStarts = s.ShardStarts,
            ShardStartSizes = s.ShardStartSizes,
            ShardSteps = s.ShardSteps,
            Shards = s.Shards.Select(x =>
            {
                var shard = new ShardRecord(x.Shard)
                {
                    Epoch = x.Epoch, WorkerId = x.WorkerId, Done = x.Done, EndState = x.EndState, MerkleRoot = x.MerkleRoot, MeanLoss = x.MeanLoss,
                    Checkpoint = x.Checkpoint, CheckpointStep = x.CheckpointStep,
                };
                shard.FailedWorkers.UnionWith(x.FailedWorkers ?? []);
                foreach (var (epoch, worker) in x.Live ?? new Dictionary<int, string>()) shard.Live[epoch] = worker;
                return shard;
            }).ToList(),
            LastGlobal = s.LastGlobal,
            LastShardEnds = s.LastShardEnds,
            Result = s.Result,
        };
        state.Ledger = JobLedger.FromSnapshot(s.Settlement, s.Price, s.SpecYaml, state.Spec);
        state._log.AddRange(s.Log);
        state._history.AddRange(s.History);
        if (s.Verification is { } v)
        {
            (state.RoundAccepted, state.RoundRejected, state.JobAccepted, state.JobRejected) = (v.RoundAccepted, v.RoundRejected, v.JobAccepted, v.JobRejected);
            (state.TrainSeconds, state.VerifySeconds) = (v.TrainSeconds, v.VerifySeconds);
            state._excluded.UnionWith(v.ExcludedWorkers);
            state._excludedAddresses.UnionWith(v.ExcludedAddresses ?? []);
            state._verdicts.AddRange(v.Verdicts);
        }
        return state;
    }

    /// <summary>What the job should do next when nothing is in flight.</summary>
    public NextStep Next()
    {
        if (!Exists || IsTerminal) return NextStep.Nothing;
        if (RoundOpen) return Shards.All(s => s.Done) ? NextStep.Aggregate : NextStep.RunShards;
        return CompletedRounds < Spec!.Training.Rounds ? NextStep.StartRound : NextStep.Finish;
    }

    /// <summary>The epoch of the next assignment of a shard (each assignment fences out the ones before).</summary>
    public int NextEpoch(int shard) => Shards[shard].Epoch + 1;

    /// <summary>Whether a checkpoint upload counts: the open round, an open shard, the current epoch and worker, a later step.</summary>
    public bool Accepts(int round, int shard, int epoch, string workerId, int localStep) =>
        !IsTerminal && RoundOpen && round == Round && shard >= 0 && shard < Shards.Count && !Shards[shard].Done
        && Shards[shard].Epoch == epoch && Shards[shard].WorkerId == workerId
        && localStep > Shards[shard].CheckpointStep && localStep < Spec!.Training.InnerSteps;

    /// <summary>Whether a worker's result counts: the right round, an open shard, and the current epoch.</summary>
    public string? Reject(ShardResult result)
    {
        if (IsTerminal) return $"the job is {Phase.ToString().ToLowerInvariant()}";
        if (!RoundOpen || result.Round != Round) return $"round {result.Round} is not the open round";
        if (result.Shard < 0 || result.Shard >= Shards.Count) return $"shard {result.Shard} does not exist";
        var shard = Shards[result.Shard];
        if (shard.Done) return $"shard {result.Shard} already has a result";
        if (!shard.Live.TryGetValue(result.Epoch, out var live) || live != result.WorkerId)
            return $"epoch {result.Epoch} from worker {result.WorkerId} is fenced out (current: {(shard.Live.Count == 0 ? "no live assignment" : string.Join("; ", shard.Live.Select(l => $"epoch {l.Key}, worker {l.Value}")))})";
        if (result.Losses.Count != StepsOf(result.Shard)) return $"{result.Losses.Count} losses for {StepsOf(result.Shard)} {(Spec!.IsInference ? "batches" : "steps")}";
        return null;
    }

    /// <summary>The status view; shards in <paramref name="verifying"/> are being verified.</summary>
    public JobView View(IReadOnlyDictionary<int, (int Step, float Loss)> progress, IReadOnlySet<int>? verifying = null,
        IReadOnlyDictionary<int, string>? waiting = null) => new(
        JobId,
        Spec?.Name ?? "",
        Phase,
        Math.Max(Round, 0),
        Spec?.Training.Rounds ?? 0,
        Spec?.Training.Shards ?? 0,
        Spec?.Training.InnerSteps ?? 0,
        MatchRate,
        SubmittedAt,
        FinishedAt,
        Reason,
        Result?.FinalDigest.ToString(),
        Result?.TestAccuracy,
        Result?.TestLoss,
        Result?.TestPerplexity,
        _history,
        RoundOpen
            ? Shards.Select(s => new ShardView(s.Shard,
                s.Done ? "done" : s.WorkerId is null ? "waiting" : verifying?.Contains(s.Shard) == true ? "verifying" : "running",
                s.WorkerId, s.Epoch,
                s.Done ? StepsOf(s.Shard) : progress.TryGetValue(s.Shard, out var p) ? p.Step : 0,
                StepsOf(s.Shard),
                s.Done ? s.MeanLoss : progress.TryGetValue(s.Shard, out var q) && !float.IsNaN(q.Loss) ? q.Loss : null,
                !s.Done && s.WorkerId is null && waiting?.TryGetValue(s.Shard, out var why) == true ? why : null)).ToList()
            : [],
        _verdicts.TakeLast(MaxVerdictsShown).ToList(),
        VerifySeconds,
        TrainSeconds,
        Ledger.View(JobId, _history, Phase),
        Spec?.IsInference == true ? "inference" : "train",
        Ledger.Price,
        Owner);

    private const int MaxVerdictsShown = 50;

    private void Note(DateTimeOffset at, string text) => _log.Add(new JobLogEntry(_log.Count, at, text));

    private static string Short(Sha256Digest digest) => digest.ToString()[..12];
}

public enum NextStep
{
    Nothing,
    StartRound,
    RunShards,
    Aggregate,
    Finish,
}

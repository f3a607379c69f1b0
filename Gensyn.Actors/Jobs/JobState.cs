using System.Collections.Immutable;
using Gensyn.Actors.Settlement;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// A job's domain state and rules, immutable, with no actors and no I/O. <see cref="Decide"/> says which events a
/// command leads to and what its sender is answered; <see cref="Apply"/> folds one persisted event in and returns the
/// next state. The JobActor persists what Decide returns, applies it, performs the effects, and replays the same events
/// on recovery. What the job shows (status, its log) is not here: <see cref="JobProjection"/> builds it from the
/// events.
/// </summary>
public sealed partial record JobState
{
    /// <summary>A round whose match rate (accepted / judged results) is below this is not paid.</summary>
    public const double PaymentThreshold = 0.95;

    public JobId JobId { get; private init; }
    public string SpecYaml { get; private init; } = "";

    /// <summary>The spec's hash: what shard, worker and verifier messages carry (the YAML is a blob under
    /// it).</summary>
    public SpecRef SpecRef { get; private init; }

    public string BaseDirectory { get; private init; } = "";
    public JobSpec? Spec { get; private init; }
    public JobPhase Phase { get; private init; } = JobPhase.Queued;
    public bool Exists => Spec is not null;
    public bool IsTerminal => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
    public DateTimeOffset SubmittedAt { get; private init; }

    /// <summary>The key that submitted the job (its payer on a network that settles): the only one that may act on
    /// it.</summary>
    public string? Owner { get; private init; }
    public DateTimeOffset? FinishedAt { get; private init; }
    public string? Reason { get; private init; }

    /// <summary>The round in progress (or the last one, once finished); -1 before round 0 starts.</summary>
    public int Round { get; private init; } = -1;
    public bool RoundOpen { get; private init; }
    public Sha256Digest? RoundGlobal { get; private init; }
    public IReadOnlyList<Sha256Digest> ShardStarts { get; private init; } = [];
    public IReadOnlyList<long> ShardStartSizes { get; private init; } = [];

    /// <summary>An inference job's batches per shard (from its round's start); null for a training job.</summary>
    public IReadOnlyList<int>? ShardSteps { get; private init; }

    public ImmutableList<ShardRecord> Shards { get; private init; } = [];

    /// <summary>The global state after the last completed round (null before round 0 completes).</summary>
    public Sha256Digest? LastGlobal { get; private init; }

    /// <summary>Each shard's end state in the last completed round: its optimizer state carries into the next
    /// round.</summary>
    public IReadOnlyList<Sha256Digest>? LastShardEnds { get; private init; }

    /// <summary>The last completed round's update blob and its shards' start states: with
    /// <see cref="LastShardEnds"/>, what a worker that trained a shard then needs to rebuild the shard's next start
    /// state (<see cref="StartDeltaOf"/>). Null before, after a rollback, and in a state restored from a snapshot:
    /// workers then fetch start states whole.</summary>
    public (Sha256Digest Update, IReadOnlyList<Sha256Digest> Starts)? LastUpdate { get; private init; }

    /// <summary>The delta shard <paramref name="shard"/>'s start state in the open round can be rebuilt from, or
    /// null.</summary>
    public StartStateDelta? StartDeltaOf(int shard) =>
        LastUpdate is { } u && LastShardEnds is { } ends && shard < u.Starts.Count && shard < ends.Count
        && u.Starts.Count == ShardStarts.Count
            ? new StartStateDelta(u.Update, u.Starts[shard], ends[shard]) : null;

    /// <summary>The worker whose result of shard <paramref name="shard"/> the last completed round used, when the
    /// open round follows it: it holds the shard's last start and end states. Null otherwise.</summary>
    public WorkerId? PreviousWorkerOf(int shard) =>
        History.LastOrDefault() is { } last && last.Round == Round - 1 && shard < last.Workers.Count
        && last.Workers[shard] is { Length: > 0 } id ? (WorkerId)id : null;

    public JobCompleted? Result { get; private init; }

    /// <summary>The completed rounds: their checkpoints, workers and match rates decide which are paid.</summary>
    public ImmutableList<RoundView> History { get; private init; } = [];
    public int CompletedRounds => History.Count;

    /// <summary>Workers whose result in this job was rejected: they get none of its shards again.</summary>
    public ImmutableHashSet<WorkerId> ExcludedWorkers { get; private init; } = ImmutableHashSet<WorkerId>.Empty;

    /// <summary>The keys of those workers: no worker of theirs, under any id, gets this job's shards again.</summary>
    public ImmutableHashSet<string> ExcludedAddresses { get; private init; } =
        ImmutableHashSet.Create<string>(StringComparer.OrdinalIgnoreCase);

    public int JobAccepted { get; private init; }
    public int JobRejected { get; private init; }

    /// <summary>The job's money: its deposit, what its verified results earn, and its settlements on chain.</summary>
    public JobLedger Ledger { get; private init; } = new();

    /// <summary>How many steps (training) or batches (inference) shard <paramref name="shard"/> of the open round
    /// runs.</summary>
    public int StepsOf(int shard) =>
        ShardSteps is { } steps && shard >= 0 && shard < steps.Count ? steps[shard] : Spec!.InnerSteps;

    /// <summary>How many assignments of one shard run at once: 2 in replicated mode.</summary>
    public int Replicas => Spec?.Verification.Mode == VerificationMode.Replicated ? 2 : 1;

    /// <summary>The Gradient Match Rate of the open round: accepted / judged results (1 before any verdict).</summary>
    public double RoundMatchRate => Rate(RoundAccepted, RoundRejected);

    /// <summary>The Gradient Match Rate of the whole job.</summary>
    public double MatchRate => Rate(JobAccepted, JobRejected);

    private static double Rate(int accepted, int rejected) =>
        accepted + rejected == 0 ? 1.0 : (double)accepted / (accepted + rejected);

    /// <summary>The token the job's escrow pays in (its spec's budget.token); stakes and slashes are always
    /// GENS.</summary>
    public string PaidIn => Spec?.Budget.Token ?? "GENS";

    /// <summary>The settlement orders the job still needs on chain (none on a network that does not settle).</summary>
    public IReadOnlyList<SettlementOrder> SettlementsDue => Ledger.Due(JobId, History, Phase);

    /// <summary>The workers and keys that get none of this job's shards, in a stable order.</summary>
    public Exclusion Exclusion => new(ExcludedWorkers.Order().ToList(),
        ExcludedAddresses.Order(StringComparer.Ordinal).ToList());

    /// <summary>Every blob the job needs to go on from here: its spec's YAML, the round's states, the shards' ends
    /// and checkpoints, the last round's, the result.</summary>
    public IReadOnlySet<Sha256Digest> ReferencedBlobs()
    {
        var blobs = new HashSet<Sha256Digest>(ShardStarts) { SpecRef.Hash };
        if (RoundGlobal is { } global) blobs.Add(global);
        if (LastGlobal is { } last) blobs.Add(last);
        if (LastShardEnds is { } ends) blobs.UnionWith(ends);
        if (LastUpdate is { } update) blobs.Add(update.Update);
        foreach (var shard in Shards)
        {
            if (shard.EndState is { } end) blobs.Add(end);
            if (shard.Checkpoint is { } checkpoint) blobs.Add(checkpoint);
        }
        if (Result is { } result) blobs.Add(result.Model);
        return blobs;
    }

    /// <summary>Why there is no model to fetch: the job ended without one, or is still running.</summary>
    public string WhyNoResult()
    {
        var phase = Phase.ToString().ToLowerInvariant();
        var where = IsTerminal
            ? $"{phase} without a model"
            : $"still {phase} (round {Math.Max(Round, 0) + 1} of {Spec!.Rounds})";
        return $"job {JobId} is {where}; `gensyn watch {JobId}` waits for it";
    }

    /// <summary>What the job should do next when nothing is in flight.</summary>
    public NextStep Next()
    {
        if (!Exists || IsTerminal) return NextStep.Nothing;
        if (RoundOpen) return Shards.All(s => s.Done) ? NextStep.Aggregate : NextStep.RunShards;
        return CompletedRounds < Spec!.Rounds ? NextStep.StartRound : NextStep.Finish;
    }

    /// <summary>The epoch of the next assignment of a shard (each assignment fences out the ones before).</summary>
    public int NextEpoch(int shard) => Shards[shard].Epoch + 1;

    /// <summary>Whether a checkpoint upload counts: the open round, an open shard, the current epoch and worker,
    /// a later step.</summary>
    public bool Accepts(int round, int shard, int epoch, WorkerId workerId, int localStep) =>
        !IsTerminal && RoundOpen && round == Round && shard >= 0 && shard < Shards.Count && !Shards[shard].Done
        && Shards[shard].Epoch == epoch && Shards[shard].WorkerId == workerId
        && localStep > Shards[shard].CheckpointStep && localStep < Spec!.InnerSteps;

    /// <summary>Why a worker's result does not count, or null when it does: the right round, an open shard,
    /// a live epoch and one loss per step.</summary>
    public string? Reject(ShardResult result)
    {
        if (IsTerminal) return $"the job is {Phase.ToString().ToLowerInvariant()}";
        if (!RoundOpen || result.Round != Round) return $"round {result.Round} is not the open round";
        if (result.Shard < 0 || result.Shard >= Shards.Count) return $"shard {result.Shard} does not exist";
        var shard = Shards[result.Shard];
        if (shard.Done) return $"shard {result.Shard} already has a result";
        if (!shard.Live.TryGetValue(result.Epoch, out var live) || live != result.WorkerId)
        {
            var current = shard.Live.IsEmpty
                ? "no live assignment"
                : string.Join("; ", shard.Live.Select(l => $"epoch {l.Key}, worker {l.Value}"));
            return $"epoch {result.Epoch} from worker {result.WorkerId} is fenced out (current: {current})";
        }
        if (result.Losses.Count != StepsOf(result.Shard))
        {
            var unit = Kinds.JobKinds.Of(Spec!).StepUnit;
            return $"{result.Losses.Count} losses for {StepsOf(result.Shard)} {unit}";
        }
        return null;
    }
}

public enum NextStep
{
    Nothing,
    StartRound,
    RunShards,
    Aggregate,
    Finish,
}

using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

public sealed partial record JobState
{
    /// <summary>The state after <paramref name="e"/>; this one is left as it was.</summary>
    public JobState Apply(IJobEvent e)
    {
        var next = ApplyToJob(e);
        // A rollback the job does not take (an ended job, an unreached round) moves no money either.
        var money = e is ShardVerified or SettlementPosted or ResultRevoked or RefusalCharged
                    || (e is RoundsRolledBack or JobReopened && !ReferenceEquals(next, this));
        return e is JobSubmitted || (Ledger.Payer is not null && money)
            ? next with { Ledger = next.LedgerAfter(e, History) }
            : next;
    }

    /// <summary>
    /// The ledger is a mutable class: it is copied before an event changes it, so that earlier states keep theirs.
    /// A job on a network that does not settle (no payer) has no money to track after its submission.
    /// </summary>
    private JobLedger LedgerAfter(IJobEvent e, IReadOnlyList<RoundView> historyBefore)
    {
        var ledger = JobLedger.FromSnapshot(Ledger.ToSnapshot(), Ledger.Price, SpecYaml, Spec, JobId);
        ledger.Apply(e, Spec, historyBefore);
        return ledger;
    }

    private JobState ApplyToJob(IJobEvent e)
    {
        switch (e)
        {
            case JobSubmitted s:
                return this with
                {
                    JobId = s.JobId, SpecYaml = s.SpecYaml, SpecRef = SpecRef.Of(s.SpecYaml),
                    BaseDirectory = s.BaseDirectory,
                    Spec = JobSpecs.Shared.Get(s.SpecYaml), SubmittedAt = s.At, Owner = s.Owner ?? s.Payer,
                    Phase = JobPhase.Queued,
                };
            case RoundStarted r:
                return this with
                {
                    Round = r.Round, RoundOpen = true, Phase = JobPhase.Running, RoundGlobal = r.GlobalState,
                    ShardStarts = r.ShardStarts, ShardStartSizes = r.ShardStartSizes, ShardSteps = r.ShardSteps,
                    Shards = [.. Enumerable.Range(0, r.ShardStarts.Count).Select(i => new ShardRecord(i))],
                    RoundVerdicts = [],
                };
            case ShardAssigned a:
                // One live assignment fences out the ones before it; replicated mode keeps the two latest.
                var live = Shards[a.Shard].Live;
                while (live.Count >= Replicas) live = live.Remove(live.First().Key);
                return WithShard(a.Shard,
                    s => s with { Live = live.SetItem(a.Epoch, a.WorkerId), Epoch = a.Epoch, WorkerId = a.WorkerId });
            case ShardReleased x:
                return WithShard(x.Shard, s =>
                {
                    var ended = s.End(x.Epoch);
                    return x.CountsAsFailure
                        ? ended with { FailedWorkers = ended.FailedWorkers.Add(x.WorkerId) }
                        : ended;
                });
            case ShardCheckpointSaved k
                when k.Round == Round && !Shards[k.Shard].Done && k.LocalStep > Shards[k.Shard].CheckpointStep:
                return WithShard(k.Shard, s => s.Checkpointed(k));
            case ShardCheckpointDiscarded d when Shards[d.Shard].Checkpoint == d.Checkpoint:
                return WithShard(d.Shard, s => s.WithoutCheckpoint());
            case ShardVerified { Outcome: VerdictOutcome.Accepted } a:
                return Counted(a) with { JobAccepted = JobAccepted + 1 };
            case ShardVerified v:
                // Its checkpoints are its own claims: a re-run starts from the round's start state.
                var rerun = Counted(v).WithShard(v.Shard,
                    s => s.End(v.Epoch).WithoutCheckpoint() with { FailedWorkers = s.FailedWorkers.Add(v.WorkerId) });
                return rerun with
                {
                    JobRejected = JobRejected + 1,
                    ExcludedWorkers = ExcludedWorkers.Add(v.WorkerId),
                    ExcludedAddresses = string.IsNullOrEmpty(v.WorkerAddress)
                        ? ExcludedAddresses : ExcludedAddresses.Add(v.WorkerAddress.ToLowerInvariant()),
                };
            case ShardCompleted c:
                return WithShard(c.Shard, s => s with
                {
                    Done = true, Live = s.Live.Clear(), EndState = c.EndState, MerkleRoot = c.MerkleRoot,
                    MeanLoss = c.MeanLoss, WorkerId = c.WorkerId,
                });
            case RoundCompleted rc:
                var pay = RoundPayment(rc.Uncounted);
                var round = new RoundView(rc.Round, rc.GlobalState.ToString(), rc.StateDigest.ToString(), rc.MeanLoss,
                    Shards.Select(s => s.MerkleRoot!.Value.ToString()).ToList(),
                    Shards.Select(s => s.WorkerId ?? "").ToList(),
                    pay.MatchRate, pay.Paid, pay.Accepted, pay.Judged, pay.Convicted.Count == 0 ? null : pay.Convicted,
                    rc.TestAccuracy, rc.TestLoss, rc.TestPerplexity);
                return this with
                {
                    RoundOpen = false, LastGlobal = rc.GlobalState,
                    LastShardEnds = Shards.Select(s => s.EndState!.Value).ToList(),
                    LastUpdate = rc.Update is { } u ? (u, ShardStarts) : null,
                    History = History.Add(round),
                };
            case ResultRevoked revoked:
                return Revoked(revoked);
            case RoundsRolledBack rolledBack:
                return RolledBack(rolledBack);
            case JobReopened reopened:
                return Reopened(reopened);
            case JobCompleted done:
                return this with { Phase = JobPhase.Completed, Result = done, FinishedAt = done.At };
            case JobFailed f:
                return End(JobPhase.Failed, f.Reason, f.At);
            case JobCancelled x:
                return End(JobPhase.Cancelled, x.Reason, x.At);
            default:
                return this;
        }
    }

    /// <summary>A job that ends without a model: failed or cancelled, with the reason.</summary>
    private JobState End(JobPhase phase, string reason, DateTimeOffset at) =>
        this with { Phase = phase, Reason = reason, FinishedAt = at, RoundOpen = false };

    private JobState WithShard(int shard, Func<ShardRecord, ShardRecord> change) =>
        this with { Shards = Shards.SetItem(shard, change(Shards[shard])) };
}

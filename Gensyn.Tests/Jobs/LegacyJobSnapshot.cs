using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The <see cref="JobSnapshot"/> a JobActor wrote before snapshots held domain state only (views and log text mixed
/// in), built field by field as that version did, so that tests can recover from one.
/// </summary>
public static class LegacyJobSnapshot
{
    public static JobSnapshot Of(JobProjection job)
    {
        var s = job.State;
        return new JobSnapshot(s.JobId, s.SpecYaml, s.BaseDirectory, s.Phase, s.SubmittedAt, s.FinishedAt, s.Reason,
            s.Round,
            s.RoundOpen, s.RoundGlobal, s.ShardStarts.ToList(), s.ShardStartSizes.ToList(),
            s.Shards.Select(x => new ShardSnapshot(x.Shard, x.Epoch, x.WorkerId, x.Done, x.EndState, x.MerkleRoot,
                x.MeanLoss,
                x.Checkpoint, x.CheckpointStep, x.FailedWorkers.Order().ToList(),
                new Dictionary<int, WorkerId>(x.Live))).ToList(),
            s.LastGlobal, s.LastShardEnds?.ToList(), s.Result, job.Log.ToList(), s.History.ToList(),
            new VerificationSnapshot(s.RoundAccepted, s.RoundRejected, s.JobAccepted, s.JobRejected, job.TrainSeconds,
                job.VerifySeconds, s.ExcludedWorkers.Order().ToList(), job.Verdicts.ToList(),
                s.ExcludedAddresses.Order(StringComparer.Ordinal).ToList()),
            s.Ledger.ToSnapshot(), s.ShardSteps?.ToList(), s.Ledger.Price, s.Owner);
    }
}

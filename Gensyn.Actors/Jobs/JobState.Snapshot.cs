using System.Collections.Immutable;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

public sealed partial record JobState
{
    /// <summary>The domain state as a snapshot: no views and no log text (<see cref="JobProjection"/> rebuilds
    /// them).</summary>
    public JobStateSnapshot ToSnapshot() => new(
        JobId, SpecYaml, BaseDirectory, Phase, SubmittedAt, FinishedAt, Reason, Owner, Round, RoundOpen, RoundGlobal,
        ShardStarts.ToList(), ShardStartSizes.ToList(), ShardSteps?.ToList(),
        Shards.Select(s => new ShardSnapshot(s.Shard, s.Epoch, s.WorkerId, s.Done, s.EndState, s.MerkleRoot, s.MeanLoss,
            s.Checkpoint, s.CheckpointStep, s.FailedWorkers.Order().ToList(),
            new Dictionary<int, WorkerId>(s.Live), s.Lineage)).ToList(),
        LastGlobal, LastShardEnds?.ToList(), Result, History.ToList(),
        new ResultTally(RoundAccepted, RoundRejected, JobAccepted, JobRejected, RoundVerdicts.ToList(),
            ConvictedAddresses.Order(StringComparer.Ordinal).ToList()),
        ExcludedWorkers.Order().ToList(),
        ExcludedAddresses.Order(StringComparer.Ordinal).ToList(),
        Ledger.ToSnapshot(), Ledger.Price);

    /// <summary>The state a snapshot of either format describes; null for anything else.</summary>
    public static JobState? FromSnapshot(object snapshot) => snapshot switch
    {
        JobStateSnapshot s => FromSnapshot(s),
        JobSnapshot written => FromSnapshot(written),
        _ => null,
    };

    /// <summary>The state a snapshot describes (events after it are applied on top).</summary>
    public static JobState FromSnapshot(JobStateSnapshot s)
    {
        var spec = JobSpecs.Shared.Get(s.SpecYaml);
        return new JobState
        {
            JobId = s.JobId, SpecYaml = s.SpecYaml, SpecRef = SpecRef.Of(s.SpecYaml), BaseDirectory = s.BaseDirectory,
            Spec = spec, Phase = s.Phase,
            SubmittedAt = s.SubmittedAt, Owner = s.Owner ?? s.Settlement?.Payer, FinishedAt = s.FinishedAt,
            Reason = s.Reason,
            Round = s.Round, RoundOpen = s.RoundOpen, RoundGlobal = s.RoundGlobal, ShardStarts = s.ShardStarts,
            ShardStartSizes = s.ShardStartSizes, ShardSteps = s.ShardSteps, Shards = Restore(s.Shards),
            LastGlobal = s.LastGlobal, LastShardEnds = s.LastShardEnds, Result = s.Result, History = [.. s.Rounds],
            RoundVerdicts = RoundVerdictsOf(s.Tally),
            ConvictedAddresses = ImmutableHashSet.CreateRange(StringComparer.OrdinalIgnoreCase,
                s.Tally.Convicted ?? []),
            JobAccepted = s.Tally.JobAccepted, JobRejected = s.Tally.JobRejected,
            ExcludedWorkers = [.. s.ExcludedWorkers],
            ExcludedAddresses = ImmutableHashSet.CreateRange(StringComparer.OrdinalIgnoreCase, s.ExcludedAddresses),
            Ledger = JobLedger.FromSnapshot(s.Settlement, s.Price, s.SpecYaml, spec, s.JobId),
        };
    }

    /// <summary>
    /// The domain state of a snapshot written before snapshots left out the views: its log, verdicts and timings are
    /// dropped here, and rebuilt like every other view from the journal's events.
    /// </summary>
    public static JobState FromSnapshot(JobSnapshot s)
    {
        var v = s.Verification;
        return FromSnapshot(new JobStateSnapshot(s.JobId, s.SpecYaml, s.BaseDirectory, s.Phase, s.SubmittedAt,
            s.FinishedAt, s.Reason, s.Owner, s.Round, s.RoundOpen, s.RoundGlobal, s.ShardStarts, s.ShardStartSizes,
            s.ShardSteps, s.Shards,
            s.LastGlobal, s.LastShardEnds, s.Result, s.History,
            new ResultTally(v?.RoundAccepted ?? 0, v?.RoundRejected ?? 0, v?.JobAccepted ?? 0, v?.JobRejected ?? 0),
            v?.ExcludedWorkers ?? [], v?.ExcludedAddresses ?? [], s.Settlement, s.Price));
    }

    private static ImmutableList<ShardRecord> Restore(IReadOnlyList<ShardSnapshot> shards) =>
    [
        .. shards.Select(x => new ShardRecord(x.Shard)
        {
            Epoch = x.Epoch, WorkerId = x.WorkerId, Done = x.Done, EndState = x.EndState, MerkleRoot = x.MerkleRoot,
            MeanLoss = x.MeanLoss, Checkpoint = x.Checkpoint, CheckpointStep = x.CheckpointStep,
            FailedWorkers = [.. x.FailedWorkers ?? []],
            Live = ImmutableSortedDictionary.CreateRange(x.Live ?? new Dictionary<int, WorkerId>()),
            Lineage = [.. x.CheckpointLineage ?? []],
        }),
    ];
}

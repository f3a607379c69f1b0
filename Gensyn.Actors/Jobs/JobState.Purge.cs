using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// What a purge does to a job's state (the rules that decide it: Gensyn.Actors/Purge). The ledger is not touched here.
public sealed partial record JobState
{
    /// <summary>
    /// A result revoked after the fact counts as rejected, its key gets none of this job's shards again, and when it
    /// is the result that completed a shard of the open round, that shard runs again from the round's start state.
    /// </summary>
    private JobState Revoked(ResultRevoked r)
    {
        var open = RoundOpen && r.Round == Round && r.Shard >= 0 && r.Shard < Shards.Count;
        var next = this with
        {
            JobAccepted = Math.Max(0, JobAccepted - 1), JobRejected = JobRejected + 1,
            RoundAccepted = open ? Math.Max(0, RoundAccepted - 1) : RoundAccepted,
            RoundRejected = open ? RoundRejected + 1 : RoundRejected,
            ExcludedWorkers = ExcludedWorkers.Add(r.WorkerId),
            ExcludedAddresses = string.IsNullOrEmpty(r.WorkerAddress)
                ? ExcludedAddresses : ExcludedAddresses.Add(r.WorkerAddress.ToLowerInvariant()),
        };
        if (!open || !Shards[r.Shard].Done || Shards[r.Shard].MerkleRoot != r.MerkleRoot) return next;
        return next.WithShard(r.Shard, s => new ShardRecord(s.Shard)
        {
            Epoch = s.Epoch, FailedWorkers = s.FailedWorkers.Add(r.WorkerId),
        });
    }

    /// <summary>
    /// The job returns to the start of round <see cref="RoundsRolledBack.FromRound"/>: no round open, the completed
    /// rounds before it kept, the states that round starts from restored, so that the next step starts it again. A
    /// rollback of a round the job has not reached, or of a job that has ended, changes nothing.
    /// </summary>
    private JobState RolledBack(RoundsRolledBack b)
    {
        var reachable = b.FromRound >= 0 && b.FromRound <= CompletedRounds && b.FromRound <= Round
                        && (b.FromRound == 0 || b.RestoredGlobal is not null && b.RestoredShardEnds is not null);
        if (!Exists || IsTerminal || !reachable) return this;
        return this with
        {
            Round = b.FromRound - 1, RoundOpen = false, RoundGlobal = null, ShardStarts = [], ShardStartSizes = [],
            ShardSteps = null, Shards = [], RoundAccepted = 0, RoundRejected = 0,
            LastGlobal = b.RestoredGlobal, LastShardEnds = b.RestoredShardEnds,
            History = History.RemoveAll(h => h.Round >= b.FromRound),
        };
    }
}

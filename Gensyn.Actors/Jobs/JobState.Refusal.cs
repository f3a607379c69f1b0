using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

public sealed partial record JobState
{
    /// <summary>What <paramref name="conviction"/> charges its key in this job (<see cref="PurgeRules.RefusalCharge"/>,
    /// from the job's journal <paramref name="timeline"/>), or null: nothing, or a job that does not settle.</summary>
    public RefusalCharged? RefusalChargeFor(KeyConvicted conviction, PurgeTimeline timeline, DateTimeOffset now) =>
        !Exists || Ledger.Payer is null ? null : PurgeRules.RefusalCharge(timeline, conviction, now);
}

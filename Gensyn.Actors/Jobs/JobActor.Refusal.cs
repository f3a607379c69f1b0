using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A key convicted of refusal pays for the reruns its silence caused here: the job journals the charge
// (RefusalCharged, decided by JobState.RefusalChargeFor) and its ledger settles it out of the key's stake.
public sealed partial class JobActor
{
    /// <summary>Journals what <paramref name="conviction"/> charges its key in this job, if anything, once; then
    /// sends the orders it adds to settlement.</summary>
    private void ChargeRefusal(KeyConvicted conviction)
    {
        if (_state.RefusalChargeFor(conviction, _timeline, DateTimeOffset.UtcNow) is not { } charge) return;
        Persist(charge, e =>
        {
            Applied(e);
            _log.Warning("Job {0}: key {1}, convicted ({2}), had {3} result(s) rerun here for it; its stake " +
                         "pays their recomputation{4}", _state.JobId, e.Address, Ground(e.Ground), e.Unanswered,
                e.TakesSlash ? " and the conviction's slash" : "");
            Settle();
        });
    }

    private static string Ground(ConvictionGround ground) =>
        ground == ConvictionGround.InvalidAnswer ? "an invalid answer" : "refusal";
}

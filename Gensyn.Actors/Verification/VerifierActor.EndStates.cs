using Akka.Actor;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Verification;

// An end state a verifier rebuilt by replay (VerifyShard.EndFromReplay) goes to the job's blob store before the
// verdict.
public sealed partial class VerifierActor
{
    /// <summary>
    /// The verdict, once the end state the judge rebuilt (<see cref="VerifyShard.EndFromReplay"/>) is in the job's blob
    /// store: the verifier's own on the job's node, else handed over to it first. A hand-over that fails blames nobody.
    /// </summary>
    private async Task<ShardVerdict> Delivered(VerifyShard request, ShardVerdict verdict, IMaterializer materializer)
    {
        var address = request.Blobs.Path.Address;
        if (!request.EndFromReplay || verdict.Outcome != VerdictOutcome.Accepted || address.HasLocalScope
            || address == _address)
            return verdict;
        try
        {
            var offer = await BlobTransfer.Offer(_store, request.EndState, materializer);
            if (await request.Blobs.Ask<object>(offer, FetchTimeout) is BlobStored) return verdict;
            return verdict with
            {
                Outcome = VerdictOutcome.Inconclusive, Reason = "the job's coordinator refused the rebuilt end state",
            };
        }
        catch (Exception e)
        {
            return verdict with
            {
                Outcome = VerdictOutcome.Inconclusive,
                Reason = "the rebuilt end state could not be handed to the job's coordinator: " +
                         e.GetBaseException().Message,
            };
        }
    }
}

using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Kinds;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Verification;

// A job's verification prepared at its start (PrepareVerification): its spec and dataset fetched, and its session
// loaded on the training thread, beside the first round's training rather than after its first result.
public sealed partial class VerifierActor
{
    private sealed record FetchedForPreparation(PrepareVerification Request, string? Failure)
        : INoSerializationVerificationNeeded;

    private void ReceivePreparation(IMaterializer materializer)
    {
        Receive<PrepareVerification>(prepare =>
        {
            var self = Self;
            Fetch(Unread(prepare.Spec), prepare.Blobs, materializer)
                .ContinueWith(t => t.IsCompletedSuccessfully ? FetchDataset(prepare.Spec, prepare.Blobs, materializer) : t)
                .Unwrap()
                .ContinueWith(t => new FetchedForPreparation(prepare,
                    t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "failed"))
                .PipeTo(self);
        });
        Receive<FetchedForPreparation>(fetched => Prepare(fetched.Request, fetched.Failure));
    }

    /// <summary>Loads the job's session on the training thread, ahead of its first result (nothing to answer).</summary>
    private void Prepare(PrepareVerification p, string? failure)
    {
        var log = _log;
        if (failure is not null)
        {
            log.Warning("Could not prepare to verify {0} ({1}); its first result loads it", p.JobId, failure);
            return;
        }
        _thread.Run(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                if (Judge(JobKinds.Of(SpecBlobs.Read(p.Spec, _store.Get))).Prepare(p.Spec, p.BaseDirectory, _store.Get))
                    log.Info("Prepared to verify {0} in {1:F2} s", p.JobId, clock.Elapsed.TotalSeconds);
                else log.Debug("Did not prepare to verify {0}: this verifier is at work on another job", p.JobId);
            }
            catch (Exception e)
            {
                log.Warning("Could not prepare to verify {0} ({1}); its first result loads it", p.JobId,
                    e.GetBaseException().Message);
            }
            return true;
        });
    }
}

using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// Serves a node's <see cref="BlobStore"/> over StreamRefs: answers <see cref="FetchBlob"/> with an offer streamed from the blob's file,
/// and pulls, hashes and stores blobs offered to it (worker uploads) straight to disk.
/// </summary>
public sealed class BlobActor : ReceiveActor
{
    public static Props Props(BlobStore store) => Akka.Actor.Props.Create(() => new BlobActor(store));

    public BlobActor(BlobStore store)
    {
        var log = Context.GetLogger();
        var materializer = Context.Materializer();

        Receive<FetchBlob>(fetch =>
        {
            if (!store.Contains(fetch.Hash))
            {
                log.Warning("Blob request from {0}: blob {1} is not here", Sender.Path.Address, fetch.Hash);
                Sender.Tell(new BlobMissing(fetch.Hash));
                return;
            }
            // Streamed from its file: the receiver checks the hash, and refuses a corrupt copy.
            var replyTo = Sender;
            BlobTransfer.Offer(store, fetch.Hash, materializer).ContinueWith(offer =>
                offer.IsCompletedSuccessfully ? offer.Result : (IGensynMessage)new BlobMissing(fetch.Hash)).PipeTo(replyTo);
        });

        Receive<BlobOffer>(offer =>
        {
            var replyTo = Sender;
            if (store.Contains(offer.Hash))
            {
                store.Touch(offer.Hash);
                replyTo.Tell(new BlobStored(offer.Hash));
                return;
            }
            BlobTransfer.ReceiveInto(offer, store, materializer).ContinueWith(received =>
            {
                if (received.IsCompletedSuccessfully) return (IGensynMessage)new BlobStored(offer.Hash);
                var reason = received.Exception?.GetBaseException().Message ?? "the transfer was cancelled";
                log.Warning("Refused blob {0} from {1}: {2}", offer.Hash, replyTo.Path.Address, reason);
                return new BlobRefused(offer.Hash, reason);
            }).PipeTo(replyTo);
        });
    }
}

using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// Serves a node's <see cref="BlobStore"/> over StreamRefs: answers <see cref="FetchBlob"/> with an offer,
/// and pulls, checks and stores blobs offered to it (worker uploads).
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
            byte[] bytes;
            try
            {
                bytes = store.Get(fetch.Hash);
            }
            catch (BlobException e)
            {
                log.Warning("Blob request from {0}: {1}", Sender.Path.Address, e.Message);
                Sender.Tell(new BlobMissing(fetch.Hash));
                return;
            }
            BlobTransfer.Offer(fetch.Hash, bytes, materializer).PipeTo(Sender);
        });

        Receive<BlobOffer>(offer =>
        {
            var replyTo = Sender;
            if (store.Contains(offer.Hash))
            {
                replyTo.Tell(new BlobStored(offer.Hash));
                return;
            }
            BlobTransfer.Receive(offer, materializer).ContinueWith(received =>
            {
                if (received.IsCompletedSuccessfully)
                {
                    store.Put(offer.Hash, received.Result);
                    return (IGensynMessage)new BlobStored(offer.Hash);
                }
                var reason = received.Exception?.GetBaseException().Message ?? "the transfer was cancelled";
                log.Warning("Refused blob {0} from {1}: {2}", offer.Hash, replyTo.Path.Address, reason);
                return new BlobRefused(offer.Hash, reason);
            }).PipeTo(replyTo);
        });
    }
}

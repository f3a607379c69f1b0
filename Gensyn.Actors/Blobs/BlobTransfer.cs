using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Blobs;

/// <summary>Moves blobs between processes as StreamRefs of 256 KiB chunks (under the 512,000-byte frame limit); the receiver checks size and hash.</summary>
public static class BlobTransfer
{
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Offers <paramref name="bytes"/> (named <paramref name="hash"/>) as a StreamRef for one reader.</summary>
    public static async Task<BlobOffer> Offer(Sha256Digest hash, byte[] bytes, IMaterializer materializer)
    {
        var chunks = Enumerable.Range(0, (bytes.Length + ChunkBytes - 1) / ChunkBytes)
            .Select(i => ByteString.CopyFrom(bytes, i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - i * ChunkBytes)));
        var sourceRef = await Source.From(chunks).RunWith(StreamRefs.SourceRef<ByteString>(), materializer);
        return new BlobOffer(hash, bytes.Length, sourceRef);
    }

    /// <summary>Reads an offered blob, refusing it if it grows past its declared size or fails its hash.</summary>
    public static async Task<byte[]> Receive(BlobOffer offer, IMaterializer materializer, long maxBytes = 4L << 30)
    {
        if (offer.Size < 0 || offer.Size > maxBytes)
            throw new BlobException($"blob {offer.Hash} refused: its declared size {offer.Size:N0} is outside 0..{maxBytes:N0} bytes");
        var buffer = new byte[offer.Size];
        var filled = 0L;
        await offer.Source.Source.RunForeach(chunk =>
        {
            if (filled + chunk.Count > offer.Size)
                throw new BlobException($"blob {offer.Hash} refused: more than its declared {offer.Size:N0} bytes arrived");
            chunk.CopyTo(buffer, (int)filled, chunk.Count);
            filled += chunk.Count;
        }, materializer);
        if (filled != offer.Size)
            throw new BlobException($"blob {offer.Hash} refused: {filled:N0} of its declared {offer.Size:N0} bytes arrived");
        var actual = Sha256Digest.Of(buffer);
        if (actual != offer.Hash) throw new BlobException($"blob {offer.Hash} refused: the bytes received hash to {actual}");
        return buffer;
    }

    /// <summary>Asks a blob store actor for a blob and reads it, hash checked.</summary>
    public static async Task<byte[]> Fetch(IActorRef store, Sha256Digest hash, IMaterializer materializer, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var answer = await store.Ask<IGensynMessage>(new FetchBlob(hash), timeout, cancellation);
        return answer switch
        {
            BlobOffer offer when offer.Hash == hash => await Receive(offer, materializer),
            BlobOffer offer => throw new BlobException($"asked for blob {hash}, was offered {offer.Hash}"),
            BlobMissing => throw new BlobException($"blob {hash} is not at {store.Path.Address}"),
            _ => throw new BlobException($"unexpected answer {answer.GetType().Name} to a blob request"),
        };
    }

    /// <summary>Uploads a blob to a store actor, which pulls it, checks it and confirms.</summary>
    public static async Task Upload(IActorRef store, Sha256Digest hash, byte[] bytes, IMaterializer materializer, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var offer = await Offer(hash, bytes, materializer);
        var answer = await store.Ask<IGensynMessage>(offer, timeout, cancellation);
        switch (answer)
        {
            case BlobStored stored when stored.Hash == hash: return;
            case BlobRefused refused: throw new BlobException($"the coordinator refused blob {hash}: {refused.Reason}");
            default: throw new BlobException($"unexpected answer {answer.GetType().Name} to a blob upload");
        }
    }
}

using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.IO;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// Moves blobs between processes as StreamRefs of 256 KiB chunks (under the 512,000-byte frame limit), file to file: the sender streams
/// the blob's file, the receiver writes the chunks to a temporary file as they come, hashing them on the way, and checks size and hash
/// before the blob enters its store. Neither side holds a whole blob in memory.
/// </summary>
public static class BlobTransfer
{
    public const int ChunkBytes = 256 * 1024;

    /// <summary>The largest blob a store accepts from another process.</summary>
    public const long MaxBytes = 8L << 30;

    /// <summary>Offers the stored blob <paramref name="hash"/> of <paramref name="store"/> as a StreamRef for one reader.</summary>
    public static async Task<BlobOffer> Offer(BlobStore store, Sha256Digest hash, IMaterializer materializer)
    {
        long size;
        await using (var file = store.OpenRead(hash)) size = file.Length;
        var source = FileIO.FromFile(new FileInfo(store.PathOf(hash)), ChunkBytes).MapMaterializedValue(_ => Akka.NotUsed.Instance);
        var sourceRef = await source.RunWith(StreamRefs.SourceRef<ByteString>(), materializer);
        return new BlobOffer(hash, size, sourceRef);
    }

    /// <summary>Offers <paramref name="bytes"/> (named <paramref name="hash"/>) as a StreamRef for one reader: for bytes that are not a stored blob.</summary>
    public static async Task<BlobOffer> Offer(Sha256Digest hash, byte[] bytes, IMaterializer materializer)
    {
        var chunks = Enumerable.Range(0, (bytes.Length + ChunkBytes - 1) / ChunkBytes)
            .Select(i => ByteString.CopyFrom(bytes, i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - i * ChunkBytes)));
        var sourceRef = await Source.From(chunks).RunWith(StreamRefs.SourceRef<ByteString>(), materializer);
        return new BlobOffer(hash, bytes.Length, sourceRef);
    }

    /// <summary>
    /// Reads an offered blob into <paramref name="store"/>, hashing it as it streams to a temporary file; refuses it (and deletes the file)
    /// if it is declared larger than <paramref name="maxBytes"/>, grows past its declared size, ends short, or fails its hash.
    /// </summary>
    public static async Task ReceiveInto(BlobOffer offer, BlobStore store, IMaterializer materializer, long maxBytes = MaxBytes)
    {
        if (offer.Size < 0 || offer.Size > maxBytes)
            throw new BlobException($"blob {offer.Hash} refused: its declared size {offer.Size:N0} is outside 0..{maxBytes:N0} bytes");
        var temp = store.TemporaryFile();
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var filled = 0L;
            var buffer = new byte[ChunkBytes];
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await offer.Source.Source.RunForeach(chunk =>
                {
                    if (filled + chunk.Count > offer.Size)
                        throw new BlobException($"blob {offer.Hash} refused: more than its declared {offer.Size:N0} bytes arrived");
                    if (buffer.Length < chunk.Count) buffer = new byte[chunk.Count];
                    chunk.CopyTo(buffer, 0, chunk.Count);
                    sha.AppendData(buffer, 0, chunk.Count);
                    file.Write(buffer, 0, chunk.Count);
                    filled += chunk.Count;
                }, materializer);
            }
            if (filled != offer.Size)
                throw new BlobException($"blob {offer.Hash} refused: {filled:N0} of its declared {offer.Size:N0} bytes arrived");
            var actual = Sha256Digest.FromBytes(sha.GetHashAndReset());
            if (actual != offer.Hash) throw new BlobException($"blob {offer.Hash} refused: the bytes received hash to {actual}");
            store.Adopt(offer.Hash, temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Asks a blob store actor for a blob and reads it into <paramref name="into"/>, hash checked.</summary>
    public static async Task FetchInto(IActorRef source, Sha256Digest hash, BlobStore into, IMaterializer materializer, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var answer = await source.Ask<IGensynMessage>(new FetchBlob(hash), timeout, cancellation);
        switch (answer)
        {
            case BlobOffer offer when offer.Hash == hash:
                await ReceiveInto(offer, into, materializer);
                return;
            case BlobOffer offer: throw new BlobException($"asked for blob {hash}, was offered {offer.Hash}");
            case BlobMissing: throw new BlobException($"blob {hash} is not at {source.Path.Address}");
            default: throw new BlobException($"unexpected answer {answer.GetType().Name} to a blob request");
        }
    }

    /// <summary>Uploads the stored blob <paramref name="hash"/> of <paramref name="from"/> to a store actor, which pulls it, checks it and confirms.</summary>
    public static async Task Upload(IActorRef destination, Sha256Digest hash, BlobStore from, IMaterializer materializer, TimeSpan timeout, CancellationToken cancellation = default) =>
        Confirmed(hash, await destination.Ask<IGensynMessage>(await Offer(from, hash, materializer), timeout, cancellation));

    /// <summary>Uploads <paramref name="bytes"/> to a store actor, which pulls them, checks them and confirms.</summary>
    public static async Task Upload(IActorRef destination, Sha256Digest hash, byte[] bytes, IMaterializer materializer, TimeSpan timeout, CancellationToken cancellation = default) =>
        Confirmed(hash, await destination.Ask<IGensynMessage>(await Offer(hash, bytes, materializer), timeout, cancellation));

    private static void Confirmed(Sha256Digest hash, IGensynMessage answer)
    {
        switch (answer)
        {
            case BlobStored stored when stored.Hash == hash: return;
            case BlobRefused refused: throw new BlobException($"the coordinator refused blob {hash}: {refused.Reason}");
            default: throw new BlobException($"unexpected answer {answer.GetType().Name} to a blob upload");
        }
    }
}

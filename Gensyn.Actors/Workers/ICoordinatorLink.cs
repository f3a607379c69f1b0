using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A worker's way to the coordinators, which it dials (it never listens). The session actor it makes carries the worker's signed profile
/// (sent to it as <see cref="RegisterWorker"/>, which opens the session) and the worker's shard messages up, and tells the worker what the
/// coordinators send down: assignments, challenges, aborts — addressed so that the worker's replies to them (<c>ShardActor</c>) come back
/// to the session actor — and <see cref="CoordinatorLost"/> when the session ends.
/// </summary>
public interface ICoordinatorLink
{
    Props SessionProps(IActorRef worker, WorkerKey key);

    /// <summary>The network's chain (<see cref="ChainInfo"/>), <see cref="NoChain"/>, or <see cref="RequestFailed"/>.</summary>
    Task<IGensynMessage> NetworkAsync(CancellationToken cancel);

    /// <summary>Megabits per second from a coordinator; throws when none answers.</summary>
    Task<double> MeasureBandwidthMbpsAsync(CancellationToken cancel);

    /// <summary>A blob one of this worker's assignments names, hash checked.</summary>
    Task<byte[]> FetchAsync(Sha256Digest hash, CancellationToken cancel);

    /// <summary>
    /// A chunk (or manifest) of an assigned job's packed dataset, hash checked, or null when no coordinator serves it.
    /// A reply longer than <paramref name="maxBytes"/> is refused (a <see cref="Blobs.BlobException"/>) as soon as it
    /// is, without reading the rest.
    /// </summary>
    async Task<byte[]?> FetchChunkAsync(Sha256Digest hash, long maxBytes, CancellationToken cancel)
    {
        var bytes = await FetchAsync(hash, cancel);
        return bytes.Length <= maxBytes ? bytes
            : throw new Blobs.BlobException($"blob {hash} refused: over the {maxBytes:N0} bytes announced");
    }

    /// <summary>Uploads a blob for the worker's current assignment.</summary>
    Task UploadAsync(Sha256Digest hash, byte[] bytes, CancellationToken cancel);
}

/// <summary>The worker's session with the coordinators ended (its shard, if any, is lost; the link dials again).</summary>
public sealed record CoordinatorLost(string Reason) : INoSerializationVerificationNeeded;

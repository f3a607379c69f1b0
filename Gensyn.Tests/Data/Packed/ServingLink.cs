using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Data.Packed;

/// <summary>
/// A worker's link whose coordinator serves the chunks of <paramref name="store"/>: honestly, or as
/// <see cref="Serve"/> says (given the hash, the honest bytes or null, and how many times it was asked for). It counts
/// what it is asked for and the bytes it sends.
/// </summary>
public sealed class ServingLink(IChunkSource store) : ICoordinatorLink
{
    private readonly Dictionary<Sha256Digest, int> _asked = new();

    /// <summary>What to send for a hash (the honest bytes, null when none): honest by default.</summary>
    public Func<Sha256Digest, byte[]?, int, byte[]?> Serve { get; set; } = (_, honest, _) => honest;

    public long BytesSent { get; private set; }

    public int Asked(Sha256Digest hash) => _asked.GetValueOrDefault(hash);

    public int TotalAsked => _asked.Values.Sum();

    public Task<byte[]?> FetchChunkAsync(Sha256Digest hash, long maxBytes, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var asked = _asked[hash] = Asked(hash) + 1;
        var sent = Serve(hash, store.Read(hash, maxBytes), asked);
        if (sent is null) return Task.FromResult<byte[]?>(null);
        BytesSent += sent.Length;
        // What the real link does (WorkerLink): a reply longer than asked for is refused, as are bytes that are not
        // the blob's. This link passes wrong bytes of the right length through, so the reader's own check is tested.
        return sent.Length > maxBytes
            ? Task.FromException<byte[]?>(
                new BlobException($"blob {hash} refused: over the {maxBytes:N0} bytes announced"))
            : Task.FromResult<byte[]?>(sent);
    }

    public Props SessionProps(IActorRef worker, WorkerKey key) => Props.Empty;

    public Task<IGensynMessage> NetworkAsync(CancellationToken cancel) =>
        Task.FromResult<IGensynMessage>(new NoChain("none"));

    public Task<double> MeasureBandwidthMbpsAsync(CancellationToken cancel) => Task.FromResult(250.0);

    public Task<byte[]> FetchAsync(Sha256Digest hash, CancellationToken cancel) =>
        throw new InvalidOperationException("a packed dataset is fetched with FetchChunkAsync");

    public Task UploadAsync(Sha256Digest hash, byte[] bytes, CancellationToken cancel) => Task.CompletedTask;
}

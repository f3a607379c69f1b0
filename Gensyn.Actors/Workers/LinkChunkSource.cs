using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A worker's packed-data chunks, fetched by hash through its link to the coordinators (the edge's FetchBlob). The
/// training thread blocks on each fetch; it gives up when <paramref name="cancel"/>'s token (the running shard's) is
/// cancelled. A reply that is not the chunk (a wrong hash, more bytes than announced, a broken transfer) is refused
/// with a <see cref="PackedDataException"/>, which <see cref="ChunkCache"/> answers by fetching again; a chunk no
/// coordinator serves is null.
/// </summary>
/// <paramref name="fetched"/> hears of each chunk received (the running shard reports it as progress).
public sealed class LinkChunkSource(ICoordinatorLink link, Func<CancellationToken> cancel, Action? fetched = null)
    : IChunkSource
{
    public byte[]? Read(Sha256Digest hash, long maxBytes)
    {
        var token = cancel();
        try
        {
            var bytes = link.FetchChunkAsync(hash, maxBytes, token).GetAwaiter().GetResult();
            if (bytes is not null) fetched?.Invoke();
            return bytes;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new PackedDataException(
                $"chunk {hash} could not be fetched: {e.GetBaseException().Message.ReplaceLineEndings(" ")}");
        }
    }
}

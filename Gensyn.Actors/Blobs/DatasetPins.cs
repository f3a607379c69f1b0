using System.Collections.Concurrent;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// The blobs of the packed dataset a job reads (its spec's <c>dataset.manifest</c>): the manifest and, once the store
/// holds it, every chunk it lists. A running job pins them, so the store's sweeper never collects data a shard may
/// still fetch. Each manifest's chunk list is read once and kept (bounded).
/// </summary>
public static class DatasetPins
{
    private const int KeptManifests = 64;
    private static readonly ConcurrentDictionary<Sha256Digest, IReadOnlyList<Sha256Digest>> Chunks = new();

    /// <summary>The dataset blobs of the job whose spec is <paramref name="yaml"/>; none when it reads
    /// files.</summary>
    public static IReadOnlyList<Sha256Digest> Of(BlobStore store, SpecRef spec, string yaml)
    {
        Sha256Digest manifest;
        try
        {
            if (PackedDataset.DigestOf(JobSpecs.Shared.Get(spec, yaml).Dataset) is not { } named) return [];
            manifest = named;
        }
        catch (JobSpecException)
        {
            return [];
        }
        if (Chunks.TryGetValue(manifest, out var known)) return [manifest, .. known];
        try
        {
            var read = PackedDataset.Manifest(manifest, new BlobStoreChunks(store), PackedDataSettings.Default);
            if (Chunks.Count >= KeptManifests) Chunks.Clear();
            var chunks = Chunks[manifest] = read.AllChunks.Select(c => c.Hash).ToList();
            return [manifest, .. chunks];
        }
        catch (PackedDataException)
        {
            return [manifest]; // not here (yet) or not a manifest: nothing more to keep
        }
    }
}

using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Edge.Workers;

/// <summary>
/// Which blobs of a packed dataset a worker may fetch: the manifest that the spec of one of its assignments names, and
/// the chunks that manifest lists. The spec and the manifest are read from the coordinator's store (brought there from
/// the job's own store first when needed); each manifest's chunk list is kept, bounded.
/// </summary>
public sealed class DatasetReads(BlobStore store, PackedDataSettings settings, ActorSystem system)
{
    private const int KeptManifests = 64;
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Sha256Digest, IReadOnlySet<Sha256Digest>> _chunks = new();

    /// <summary>Where <paramref name="hash"/> comes from (the job's blob store), or null when it is no part of the
    /// dataset of any job <paramref name="grant"/> holds an assignment of.</summary>
    public async Task<IActorRef?> SourceAsync(SessionGrant grant, Sha256Digest hash, CancellationToken cancel)
    {
        foreach (var (spec, source) in grant.Specs)
        {
            try
            {
                if (await ManifestOf(spec, source, cancel) is not { } manifest) continue;
                if (manifest == hash || (await ChunksOf(manifest, source, cancel)).Contains(hash)) return source;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A spec or manifest that cannot be had or read grants nothing; the worker is told it is not served.
            }
        }
        return null;
    }

    private async Task<Sha256Digest?> ManifestOf(SpecRef spec, IActorRef source, CancellationToken cancel)
    {
        var job = JobSpecs.Shared.TryGet(spec);
        if (job is null)
        {
            await Bring(spec.Hash, source, cancel);
            job = SpecBlobs.Read(spec, store.Get);
        }
        return PackedDataset.DigestOf(job.Dataset);
    }

    private async Task<IReadOnlySet<Sha256Digest>> ChunksOf(Sha256Digest manifest, IActorRef source,
                                                          CancellationToken cancel)
    {
        if (_chunks.TryGetValue(manifest, out var known)) return known;
        await Bring(manifest, source, cancel);
        var read = PackedDataset.Manifest(manifest, new BlobStoreChunks(store), settings);
        if (_chunks.Count >= KeptManifests) _chunks.Clear();
        return _chunks[manifest] = read.AllChunks.Select(c => c.Hash).ToHashSet();
    }

    private async Task Bring(Sha256Digest hash, IActorRef source, CancellationToken cancel)
    {
        if (!store.Contains(hash))
            await BlobTransfer.FetchInto(source, hash, store, system.Materializer(), FetchTimeout, cancel);
    }
}

using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Node.Cli;

/// <summary>What an upload moved: every blob of the dataset, and those sent (the rest the coordinator held).</summary>
public sealed record UploadTally(int Blobs, long Bytes, int BlobsSent, long BytesSent);

/// <summary>
/// A packed dataset's upload to a coordinator (docs/concepts/datasets.md, "Submitting"): one MissingBlobs round trip
/// per batch of hashes says which chunks it lacks and how much of an interrupted upload it holds; only those are sent,
/// each from where it stopped, streamed from <c>DATA_DIR/packed</c> (memory holds a buffer, never the dataset). The
/// chunks go first and the manifest last. The same data uploaded again sends nothing.
/// </summary>
public sealed class DatasetUpload(DirectoryChunkStore store, PackedResult packed, bool quiet)
{
    /// <summary>Chunks uploaded at once.</summary>
    public const int Parallel = 4;

    public PackedResult Packed => packed;

    /// <summary>Uploads what the coordinator lacks; the refusal that stopped it, if any. The calls never create the
    /// requester's wallet (a throwaway key signs them until it exists), so that submit still creates and funds it on a
    /// devnet.</summary>
    public async Task<(IGensynMessage? Failure, UploadTally Tally)> UploadAsync(CoordinatorClient client,
                                                                               CancellationToken cancel)
    {
        var blobs = packed.Manifest.AllChunks.Select(c => (Hash: c.Hash, Bytes: c.Bytes))
            .Append((Hash: packed.Digest, Bytes: new FileInfo(store.PathOf(packed.Digest)).Length))
            .DistinctBy(b => b.Hash).ToList();
        var (failure, missing) = await client.MissingBlobs(blobs.Select(b => b.Hash).ToList());
        var total = blobs.Sum(b => b.Bytes);
        if (failure is not null) return (failure, new UploadTally(blobs.Count, total, 0, 0));
        var sizes = blobs.ToDictionary(b => b.Hash, b => b.Bytes);
        var chunks = missing.Where(m => m.Hash != packed.Digest).ToList();
        var manifest = missing.Where(m => m.Hash == packed.Digest).ToList();
        var sent = new Counter();
        IGensynMessage? refused = null;
        await UploadProgress.Show(quiet, total, blobs.Count, async progress =>
        {
            progress.Held(total - missing.Sum(m => sizes[m.Hash] - m.Received), blobs.Count - missing.Count);
            void Sent(long bytes)
            {
                sent.Add(bytes);
                progress.Sent(bytes);
            }
            async Task One((Sha256Digest Hash, long Received) m, CancellationToken token)
            {
                var answer = await Send(client, m.Hash, m.Received, Sent, token);
                if (answer is null) progress.Done();
                else Interlocked.CompareExchange(ref refused, answer, null);
            }
            await System.Threading.Tasks.Parallel.ForEachAsync(chunks,
                new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = cancel }, (m, token) =>
                    refused is null ? new ValueTask(One(m, token)) : ValueTask.CompletedTask);
            // The manifest last: a coordinator that holds it has been sent every chunk it lists.
            foreach (var m in manifest.Where(_ => refused is null)) await One(m, cancel);
        });
        return (refused, new UploadTally(blobs.Count, total, missing.Count, sent.Value));
    }

    private sealed class Counter
    {
        private long _value;
        public long Value => Interlocked.Read(ref _value);
        public void Add(long n) => Interlocked.Add(ref _value, n);
    }

    /// <summary>Sends one blob from <paramref name="offset"/>; a rate limit waits as long as the edge says and asks
    /// again where to resume.</summary>
    private async Task<IGensynMessage?> Send(CoordinatorClient client, Sha256Digest hash, long offset,
                                             Action<long> sent, CancellationToken cancel)
    {
        var path = store.PathOf(hash);
        while (true)
        {
            try
            {
                return await client.UploadBlobFrom(path, hash, offset, sent, createWallet: false);
            }
            catch (CoordinatorRateLimitedException limited)
            {
                await Task.Delay(limited.RetryAfter, cancel);
                var (failure, missing) = await client.MissingBlobs([hash]);
                if (failure is not null) return failure;
                if (missing.Count == 0) return null;
                offset = missing[0].Received;
            }
        }
    }
}

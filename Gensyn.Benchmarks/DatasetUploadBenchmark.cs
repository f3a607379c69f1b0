using System.Diagnostics;
using Gensyn.Node.Cli;

namespace Gensyn.Benchmarks;

/// <summary>
/// A requester's dataset submitted to a coordinator through its edge (docs/concepts/datasets.md, "Submitting"), as
/// `gensyn submit` does it: a generated CSV (streamed to disk, never held) packed into DATA_DIR/packed, then only the
/// chunks the coordinator lacks uploaded. Twice: the second submission of the same data packs again (to learn its
/// digest) and should move no bytes. Prints pack and upload throughput and the process's peak working set above where
/// it started (client and edge share the process).
/// </summary>
public static class DatasetUploadBenchmark
{
    public static void Run(string repositoryRoot, int csvMegabytes = 512) =>
        RunAsync(repositoryRoot, csvMegabytes).GetAwaiter().GetResult();

    private static async Task RunAsync(string repositoryRoot, int csvMegabytes)
    {
        await using var edge = await InProcessEdge.StartAsync(repositoryRoot, "dataset-upload");
        var files = edge.Dir("files");
        PackBenchmark.WriteCsv(files, csvMegabytes);
        var spec = Path.Combine(files, "job.yaml");
        File.WriteAllText(spec, "name: upload\nmodel: { kind: mlp }\n" +
                                "dataset: { format: csv, train: train.csv, test: test.csv }\n" +
                                "training: { rounds: 1, shards: 1, inner-steps: 1, batch-size: 64 }\n");
        var csvBytes = new FileInfo(Path.Combine(files, "train.csv")).Length
                       + new FileInfo(Path.Combine(files, "test.csv")).Length;
        var requester = edge.Dir("requester");
        await using var client = CoordinatorClient.Connect(edge.Door, dataDirectory: requester);
        foreach (var pass in new[] { "first submission", "same data again" })
        {
            using var peak = new PackBenchmark.PeakMemory();
            var clock = Stopwatch.StartNew();
            var (_, upload, failure) =
                await SpecDataset.ResolveAsync(NetworkSpec.Read(spec), client, requester, quiet: true);
            if (failure is not null || upload is null) throw new InvalidOperationException($"not packed: {failure}");
            var packSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var (refused, tally) = await upload.UploadAsync(client, CancellationToken.None);
            if (refused is not null) throw new InvalidOperationException($"upload refused: {refused}");
            var uploadSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(
                $"dataset upload, {pass}: {csvBytes / 1e6:F0} MB of CSV packed in {packSeconds:F1} s " +
                $"({csvBytes / 1e6 / packSeconds:F0} MB/s read) to {tally.Bytes / 1e6:F0} MB in {tally.Blobs} blobs; " +
                $"uploaded {tally.BlobsSent} blobs, {tally.BytesSent / 1e6:F1} MB in {uploadSeconds:F2} s" +
                (tally.BytesSent > 0 ? $" ({tally.BytesSent / 1e6 / uploadSeconds:F0} MB/s)" : "") +
                $"; pack + upload {tally.Bytes / 1e6 / (packSeconds + uploadSeconds):F0} MB/s of chunks; " +
                $"peak working set +{peak.Stop() / 1e6:F0} MB");
        }
    }
}

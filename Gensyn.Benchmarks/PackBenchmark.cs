using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Benchmarks;

/// <summary>
/// Packing datasets into chunks (docs/concepts/datasets.md): MNIST, and a generated CSV far larger than a chunk,
/// with throughput and the process's peak working set above what it was before (sampled every 5 ms), and reading every
/// training example back through a chunk cache twice (cold, then warm: the warm pass fetches nothing upstream).
/// </summary>
public static class PackBenchmark
{
    public static void Run(string dataDir, int csvMegabytes = 256)
    {
        var root = Directory.CreateTempSubdirectory("gensyn-pack-bench-").FullName;
        try
        {
            var mnist = JobSpecParser.Parse(
                "name: m\nmodel: { kind: mlp }\ndataset: { name: mnist }\n" +
                "training: { rounds: 1, shards: 1, inner-steps: 1, batch-size: 64 }\n", "/");
            var packed = Pack("mnist (IDX)", mnist, dataDir, Path.Combine(root, "mnist"), MnistBytes(dataDir));
            var csv = WriteCsv(root, csvMegabytes);
            Pack($"csv ({csvMegabytes} MB, 64 features)", csv, root, Path.Combine(root, "csv"),
                 new FileInfo(csv.Dataset.TrainCsv!).Length + new FileInfo(csv.Dataset.TestCsv!).Length);
            ReadFromFiles(mnist, dataDir);
            ReadThroughCache(mnist, packed.Digest, Path.Combine(root, "mnist"), Path.Combine(root, "cache"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static long MnistBytes(string dataDir) => Training.Data.DatasetLoader.MnistFiles
        .Sum(f => new FileInfo(Path.Combine(Training.Data.DatasetLoader.MnistDirectory(dataDir), f)).Length);

    private static PackedResult Pack(string name, JobSpec spec, string dataDir, string store, long inputBytes)
    {
        using var peak = new PeakMemory();
        var clock = Stopwatch.StartNew();
        var packed = DatasetPacker.Pack(spec, dataDir, new DirectoryChunkStore(store), PackedDataSettings.Default);
        var seconds = clock.Elapsed.TotalSeconds;
        var chunks = packed.Manifest.AllChunks.Count();
        Console.WriteLine($"pack {name}: {inputBytes / 1e6:F0} MB of files -> {packed.ChunkBytes / 1e6:F0} MB " +
                          $"in {chunks} chunks, " +
                          $"manifest {ManifestCodec.Encode(packed.Manifest).Length / 1e3:F0} kB, {seconds:F1} s " +
                          $"({inputBytes / 1e6 / seconds:F1} MB/s read), peak working set +{peak.Stop() / 1e6:F0} MB");
        return packed;
    }

    /// <summary>The baseline: the same examples loaded from the files into memory, then read batch by batch.</summary>
    private static void ReadFromFiles(JobSpec spec, string dataDir)
    {
        var clock = Stopwatch.StartNew();
        using (var data = Training.Data.DatasetLoader.Load(spec, dataDir)) ReadAll(data.Train);
        Console.WriteLine($"read mnist train from the files (load, then every batch): " +
                          $"{clock.Elapsed.TotalSeconds:F1} s");
    }

    private static void ReadAll(Training.Data.ITrainingData split)
    {
        foreach (var batch in split.EvaluationBatches(256))
        {
            var (x, y) = split.Batch(batch);
            x.Dispose();
            y.Dispose();
        }
    }

    private static void ReadThroughCache(JobSpec spec, Contracts.Sha256Digest digest, string store, string cacheDir)
    {
        var settings = PackedDataSettings.Default;
        var upstream = new DirectoryChunkStore(store);
        var manifest = PackedDataset.Manifest(digest, upstream, settings);
        var cache = new ChunkCache(cacheDir, settings.CacheBytes, upstream);
        foreach (var pass in new[] { "cold", "warm" })
        {
            var (hits, misses) = (cache.Hits, cache.Misses);
            var clock = Stopwatch.StartNew();
            using (var data = PackedDataset.Open(manifest, spec, cache, settings)) ReadAll(data.Train);
            var (h, m) = (cache.Hits - hits, cache.Misses - misses);
            Console.WriteLine($"read mnist train through the cache, {pass}: {clock.Elapsed.TotalSeconds:F1} s, " +
                              $"{h} hits / {m} misses (hit rate {100.0 * h / Math.Max(h + m, 1):F0}%), " +
                              $"{(m == 0 ? 0 : manifest.Train.Chunks.Sum(c => c.Bytes)) / 1e6:F0} MB fetched upstream");
        }
    }

    internal static JobSpec WriteCsv(string root, int megabytes)
    {
        var random = new Random(5);
        foreach (var (name, share) in new[] { ("train.csv", 0.9), ("test.csv", 0.1) })
        {
            using var writer = new StreamWriter(Path.Combine(root, name), false, new UTF8Encoding(false), 1 << 20);
            var line = new StringBuilder();
            long written = 0;
            while (written < megabytes * 1e6 * share)
            {
                line.Clear().Append(random.Next(10).ToString(CultureInfo.InvariantCulture));
                for (var f = 0; f < 64; f++)
                    line.Append(',').Append((random.NextDouble() * 2 - 1).ToString("F5", CultureInfo.InvariantCulture));
                writer.WriteLine(line);
                written += line.Length + 1;
            }
        }
        return JobSpecParser.Parse("name: c\nmodel: { kind: mlp }\n" +
                                   "dataset: { format: csv, train: train.csv, test: test.csv }\n" +
                                   "training: { rounds: 1, shards: 1, inner-steps: 1, batch-size: 64 }\n", root);
    }

    /// <summary>The most the process's working set grew above its size at the start, sampled every 5 ms.</summary>
    internal sealed class PeakMemory : IDisposable
    {
        private readonly long _start;
        private readonly Thread _sampler;
        private long _peak;
        private volatile bool _stop;

        public PeakMemory()
        {
            GC.Collect();
            _start = Environment.WorkingSet;
            _peak = _start;
            _sampler = new Thread(() =>
            {
                while (!_stop)
                {
                    _peak = Math.Max(_peak, Environment.WorkingSet);
                    Thread.Sleep(5);
                }
            }) { IsBackground = true };
            _sampler.Start();
        }

        public long Stop()
        {
            _stop = true;
            _sampler.Join();
            return _peak - _start;
        }

        public void Dispose()
        {
            if (!_stop) Stop();
        }
    }
}

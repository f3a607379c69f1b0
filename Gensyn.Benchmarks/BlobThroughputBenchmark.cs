using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;

namespace Gensyn.Benchmarks;

/// <summary>
/// Blob transfer through StreamRefs on loopback (two remoting ActorSystems in this process, a BlobActor in
/// one, <see cref="BlobTransfer.FetchInto"/> from the other, file to file), beside File.Copy of the same blob file and the
/// blob store's own read (read + SHA-256 check), which a fetch includes.
/// </summary>
public static class BlobThroughputBenchmark
{
    /// <summary>The medians of one run, in MB/s (10^6 bytes per second).</summary>
    public sealed record Figures(double FetchMBps, double CopyMBps);

    public static Figures Run(int megabytes = 64, int repeats = 5)
    {
        var root = Path.Combine(Path.GetTempPath(), "gensyn-blob-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            return Measure(root, megabytes, repeats);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Figures Measure(string root, int megabytes, int repeats)
    {
        var bytes = new byte[megabytes * 1024 * 1024];
        new Random(7).NextBytes(bytes);
        var store = new BlobStore(Path.Combine(root, "store"));
        var hash = store.Put(bytes);
        var blobFile = store.PathOf(hash);
        var size = bytes.Length;
        bytes = null;

        var serverPort = Gensyn.Node.Local.LocalCluster.FreePort();
        using var server = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(serverPort, logLevel: "WARNING"));
        using var client = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(0, logLevel: "WARNING"));
        server.ActorOf(BlobActor.Props(store), "blobs");
        var materializer = client.Materializer();
        var remote = client.ActorSelection($"akka.tcp://{NodeConfig.SystemName}@127.0.0.1:{serverPort}/user/blobs")
            .ResolveOne(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        var timeout = TimeSpan.FromMinutes(2);

        var received = new BlobStore(Path.Combine(root, "received"));
        double Fetch()
        {
            if (File.Exists(received.PathOf(hash))) File.Delete(received.PathOf(hash));
            var clock = Stopwatch.StartNew();
            BlobTransfer.FetchInto(remote, hash, received, materializer, timeout).GetAwaiter().GetResult();
            var seconds = clock.Elapsed.TotalSeconds;
            var length = new FileInfo(received.PathOf(hash)).Length;
            if (length != size) throw new InvalidOperationException($"fetched {length} of {size} bytes");
            return seconds;
        }

        double Copy(int i)
        {
            var target = Path.Combine(root, $"copy-{i}.blob");
            var clock = Stopwatch.StartNew();
            File.Copy(blobFile, target, overwrite: true);
            var seconds = clock.Elapsed.TotalSeconds;
            File.Delete(target);
            return seconds;
        }

        double StoreGet()
        {
            var clock = Stopwatch.StartNew();
            store.Get(hash);
            return clock.Elapsed.TotalSeconds;
        }

        double Hash(byte[] buffer)
        {
            var clock = Stopwatch.StartNew();
            Sha256Digest.Of(buffer);
            return clock.Elapsed.TotalSeconds;
        }

        // Warm up each path once.
        Fetch();
        Copy(-1);
        StoreGet();
        var fetches = new List<double>();
        var copies = new List<double>();
        var gets = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            fetches.Add(Fetch());
            copies.Add(Copy(i));
            gets.Add(StoreGet());
        }
        var buffer = File.ReadAllBytes(blobFile);
        var hashes = Enumerable.Range(0, 3).Select(_ => Hash(buffer)).ToList();

        var mb = size / 1e6;
        double Rate(List<double> seconds) => mb / ClusterBenchmarks.Median(seconds);
        Console.WriteLine($"  3. blob transfer, {mb:F1} MB ({megabytes} MiB) random blob, loopback, {BlobTransfer.ChunkBytes / 1024} KiB chunks, median of {repeats} after one warm-up:");
        Console.WriteLine($"     StreamRef fetch (BlobTransfer.FetchInto, 2 ActorSystems) : {Rate(fetches),8:F1} MB/s  ({ClusterBenchmarks.Median(fetches) * 1000:F0} ms; runs {string.Join(", ", fetches.Select(s => $"{s * 1000:F0}"))} ms)");
        Console.WriteLine($"     File.Copy of the blob file                          : {Rate(copies),8:F1} MB/s  ({ClusterBenchmarks.Median(copies) * 1000:F0} ms)");
        Console.WriteLine($"     ratio fetch/copy throughput                         : {Rate(fetches) / Rate(copies):F3}");
        Console.WriteLine($"     within a fetch: sender's BlobStore.Get (read + SHA-256) {ClusterBenchmarks.Median(gets) * 1000:F0} ms, receiver's SHA-256 {ClusterBenchmarks.Median(hashes) * 1000:F0} ms");
        return new Figures(Rate(fetches), Rate(copies));
    }
}

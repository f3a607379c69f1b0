using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Client;
using Gensyn.Edge.Workers;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Benchmarks;

/// <summary>
/// Blob throughput through the edge on loopback: an in-process coordinator (no chain) and its <see cref="Gensyn.Edge.EdgeServer"/>, and a
/// client in the same process that streams a file to the edge (UploadBlob: the edge writes a partial file, hashes it and moves it into the
/// store) and from it (FetchBlob: the edge streams the store's file, the client writes it to disk and checks its SHA-256), in
/// <see cref="BlobStreams.ChunkBytes"/> chunks over the generated <see cref="V1.WorkerEdge.WorkerEdgeClient"/>, so neither side holds a blob
/// in memory (<see cref="WorkerLink.FetchAsync"/> buffers by design, so it is not what is timed here). The worker session is set up directly:
/// a <see cref="SessionGrant"/> registered in the edge's <c>EdgeContext.Sessions</c> that may read the blob and upload, without a Session
/// stream or a signed Hello. Beside it, in the same run: File.Copy of the same file, the old StreamRef <c>BlobTransfer</c> fetch (64 MiB),
/// the wire alone (ProbeBandwidth: TLS + HTTP/2 + protobuf from memory, no disk, no hash) and SHA-256 alone. During the large transfers the
/// process's working set and GC heap are sampled every 10 ms.
/// </summary>
public static class EdgeBlobBenchmark
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    public static void Run(string repositoryRoot) => RunAsync(repositoryRoot).GetAwaiter().GetResult();

    private static int Setting(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    private static async Task RunAsync(string repositoryRoot)
    {
        var repeats = Setting("GENSYN_BENCH_REPEATS", 5);
        var bigMiB = Setting("GENSYN_BENCH_BIG_MIB", 1024);
        var bigRepeats = Setting("GENSYN_BENCH_BIG_REPEATS", 2);
        Console.WriteLine($"edge-blobs: blob transfer through the edge (gRPC over TLS 1.3/HTTP/2, loopback), server and client in this process " +
                          $"({Environment.ProcessorCount} cores; other builds and benchmarks may share the machine; {GCSettings()}):");
        Console.WriteLine("  the worker session is set up directly: a SessionGrant put into the edge's EdgeContext.Sessions (no Session stream, no Hello), " +
                          "allowed to read the blob and to upload; MB = 10^6 bytes");

        await using var host = await InProcessEdge.StartAsync(repositoryRoot, "edge-blobs");
        var grant = new SessionGrant("bench-worker", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        grant.AllowUpload(host.Node.System.DeadLetters);   // a local destination: the edge's own store is the job's
        host.Edge.Context.Sessions[grant.Token] = grant;
        using var connection = EdgeConnection.Open(host.Door, host.Dir("client"));
        var client = new V1.WorkerEdge.WorkerEdgeClient(connection.Channel);

        var wire = await WireOnly(client, repeats);
        var sha = ShaOnly();
        Console.WriteLine($"  attribution: the wire alone (ProbeBandwidth, 16 MiB from memory, no disk, no hash): {wire:F1} MB/s; SHA-256 alone (64 MiB in memory): {sha:F1} MB/s");

        var small = await Measure(host, client, grant, 64, repeats, warmUp: true, sample: false);
        Console.WriteLine($"     ratios (64 MiB): upload/File.Copy {small.Upload / small.Copy:F3}, fetch/File.Copy {small.Fetch / small.Copy:F3}");
        var big = await Measure(host, client, grant, bigMiB, bigRepeats, warmUp: false, sample: true);
        Console.WriteLine($"     ratios ({bigMiB} MiB): upload/File.Copy {big.Upload / big.Copy:F3}, fetch/File.Copy {big.Fetch / big.Copy:F3}");

        // Last: the StreamRef path keeps its fetched arrays reachable after its ActorSystems are disposed (~2 per fetch), which would
        // inflate the memory figures above.
        if (Environment.GetEnvironmentVariable("GENSYN_BENCH_STREAMREF") is not "0")
        {
            Console.WriteLine("  baseline: the old StreamRef path (Akka.Remote, whole blob in memory), same run:");
            var streamRef = BlobThroughputBenchmark.Run(megabytes: 64, repeats: repeats);
            Console.WriteLine($"     ratios (64 MiB): edge upload/StreamRef fetch {small.Upload / streamRef.FetchMBps:F2}, edge fetch/StreamRef fetch {small.Fetch / streamRef.FetchMBps:F2}");
        }
        const double target = 200;
        Console.WriteLine($"  target >= {target:F0} MB/s through the edge: upload {Verdict(Math.Min(small.Upload, big.Upload))}, fetch {Verdict(Math.Min(small.Fetch, big.Fetch))} (the lower of the two sizes)");
        return;

        static string Verdict(double rate) => $"{rate:F1} MB/s {(rate >= target ? "met" : "NOT MET")}";
    }

    private static string GCSettings() =>
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC{(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "" : ", concurrent")}";

    private sealed record Rates(double Upload, double Fetch, double Copy);

    private static async Task<Rates> Measure(InProcessEdge host, V1.WorkerEdge.WorkerEdgeClient client, SessionGrant grant, int mib, int repeats, bool warmUp, bool sample)
    {
        var size = (long)mib << 20;
        var dir = host.Dir("client");
        var source = Path.Combine(dir, $"source-{mib}.bin");
        var target = Path.Combine(dir, $"fetched-{mib}.bin");
        var copy = Path.Combine(dir, $"copy-{mib}.bin");
        var hash = WriteRandomFile(source, size, seed: mib);
        grant.AllowRead(hash, host.Node.System.DeadLetters);
        var store = host.Node.Store;

        void Forget()
        {
            foreach (var path in new[] { store.PathOf(hash), BlobStreams.PartialPath(store, hash) })
                if (File.Exists(path)) File.Delete(path);
        }

        async Task<Sample> Upload()
        {
            Forget();
            var timed = await Timed(sample, () => UploadFile(client, grant.Token, source, hash, size));
            if (!store.Contains(hash) || new FileInfo(store.PathOf(hash)).Length != size) throw new InvalidOperationException("the upload did not land in the store");
            return timed;
        }

        async Task<Sample> Fetch()
        {
            var timed = await Timed(sample, () => FetchFile(client, grant.Token, hash, target));
            File.Delete(target);
            return timed;
        }

        Task<Sample> Copy() => Timed(sample: false, () =>
        {
            File.Copy(source, copy, overwrite: true);
            return Task.CompletedTask;
        }).ContinueWith(t =>
        {
            File.Delete(copy);
            return t.Result;
        }, TaskScheduler.Default);

        if (warmUp)
        {
            await Upload();
            await Fetch();
            await Copy();
        }
        var uploads = new List<Sample>();
        var fetches = new List<Sample>();
        var copies = new List<Sample>();
        for (var i = 0; i < repeats; i++)
        {
            copies.Add(await Copy());
            uploads.Add(await Upload());
            fetches.Add(await Fetch());
        }
        Forget();
        File.Delete(source);

        var mb = size / 1e6;
        double Rate(List<Sample> s) => mb / ClusterBenchmarks.Median(s.Select(x => x.Seconds).ToList());
        string Runs(List<Sample> s) => string.Join(", ", s.Select(x => (mb / x.Seconds).ToString("F0", CultureInfo.InvariantCulture)));
        string Cpu(List<Sample> s)
        {
            // CPU seconds of this process (client + edge) per MB moved: what the transfer costs whatever share of the cores it got.
            var perMb = ClusterBenchmarks.Median(s.Select(x => x.CoresBusy * x.Seconds / mb).ToList());
            return $"CPU {ClusterBenchmarks.Median(s.Select(x => x.CoresBusy).ToList()):F2} cores busy, {perMb * 1000:F2} CPU-ms/MB " +
                   $"= at most {Environment.ProcessorCount / perMb:F0} MB/s on {Environment.ProcessorCount} idle cores";
        }
        Console.WriteLine($"  {mb:F1} MB ({mib} MiB) random blob, {BlobStreams.ChunkBytes / 1024} KiB chunks, median of {repeats}{(warmUp ? " after one warm-up" : "")} (runs in MB/s):");
        Console.WriteLine($"     UploadBlob, worker file -> edge store (edge re-reads + SHA-256) : {Rate(uploads),8:F1} MB/s  ({Runs(uploads)}; {Cpu(uploads)})");
        Console.WriteLine($"     FetchBlob, edge store -> worker file (worker SHA-256 on the fly): {Rate(fetches),8:F1} MB/s  ({Runs(fetches)}; {Cpu(fetches)})");
        Console.WriteLine($"     File.Copy of the same file                                      : {Rate(copies),8:F1} MB/s  ({Runs(copies)})");
        if (sample)
        {
            foreach (var (name, samples) in new[] { ("UploadBlob", uploads), ("FetchBlob", fetches) })
            {
                var s = samples.MaxBy(x => x.PeakWorkingSet)!;
                Console.WriteLine($"     memory during {name} of {mib} MiB (sampled every 10 ms): working set {s.StartWorkingSet / 1e6:F0} MB before -> peak {s.PeakWorkingSet / 1e6:F0} MB " +
                                  $"(+{(s.PeakWorkingSet - s.StartWorkingSet) / 1e6:F0} MB); GC heap {s.StartHeap / 1e6:F0} MB before -> peak {s.PeakHeap / 1e6:F0} MB; " +
                                  $"GCs gen0/1/2 {s.Gen0}/{s.Gen1}/{s.Gen2}; GC heap after a full GC {s.RetainedHeap / 1e6:F0} MB");
            }
        }
        return new Rates(Rate(uploads), Rate(fetches), Rate(copies));
    }

    /// <summary>Sends <paramref name="path"/> as the upload of <paramref name="hash"/>, reading it in chunks.</summary>
    private static async Task UploadFile(V1.WorkerEdge.WorkerEdgeClient client, string token, string path, Sha256Digest hash, long size)
    {
        var headers = new Metadata
        {
            { WorkerEdgeService.SessionHeader, token },
            { WorkerEdgeService.BlobHashHeader, hash.ToString() },
            { WorkerEdgeService.BlobSizeHeader, size.ToString(CultureInfo.InvariantCulture) },
            { WorkerEdgeService.BlobOffsetHeader, "0" },
        };
        using var call = client.UploadBlob(headers, DateTime.UtcNow + Deadline);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            var buffer = new byte[BlobStreams.ChunkBytes];
            int read;
            while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
                await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(buffer, 0, read) });
        }
        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;
        if (Sha256Digest.FromBytes(reply.Hash.Span) != hash) throw new InvalidOperationException("the edge acknowledged another blob");
    }

    /// <summary>Fetches <paramref name="hash"/> into <paramref name="path"/>, hashing the chunks as they arrive.</summary>
    private static async Task FetchFile(V1.WorkerEdge.WorkerEdgeClient client, string token, Sha256Digest hash, string path)
    {
        var headers = new Metadata { { WorkerEdgeService.SessionHeader, token } };
        using var call = client.FetchBlob(new V1.FetchBlobRequest { Hash = ByteString.CopyFrom(hash.ToBytes()) }, headers, DateTime.UtcNow + Deadline);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var data = call.ResponseStream.Current.Data;
                sha.AppendData(data.Span);
                await file.WriteAsync(data.Memory);
            }
        }
        var actual = Sha256Digest.FromBytes(sha.GetHashAndReset());
        if (actual != hash) throw new InvalidOperationException($"fetched bytes hash to {actual}, not {hash}");
    }

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes to <paramref name="path"/> in 1 MiB pieces and returns their SHA-256.</summary>
    private static Sha256Digest WriteRandomFile(string path, long size, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            for (long at = 0; at < size; at += buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, size - at);
                random.NextBytes(buffer.AsSpan(0, n));
                sha.AppendData(buffer, 0, n);
                file.Write(buffer, 0, n);
            }
        }
        return Sha256Digest.FromBytes(sha.GetHashAndReset());
    }

    private static async Task<double> WireOnly(V1.WorkerEdge.WorkerEdgeClient client, int repeats)
    {
        async Task<double> Once()
        {
            var clock = Stopwatch.StartNew();
            long received = 0;
            using var call = client.ProbeBandwidth(new V1.ProbeRequest { Bytes = WorkerEdgeService.MaxProbeBytes }, deadline: DateTime.UtcNow + Deadline);
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received += call.ResponseStream.Current.Data.Length;
            return clock.Elapsed.TotalSeconds;
        }
        await Once();
        var seconds = new List<double>();
        for (var i = 0; i < repeats; i++) seconds.Add(await Once());
        return WorkerEdgeService.MaxProbeBytes / 1e6 / ClusterBenchmarks.Median(seconds);
    }

    private static double ShaOnly()
    {
        var buffer = new byte[64 << 20];
        new Random(3).NextBytes(buffer);
        SHA256.HashData(buffer);
        var seconds = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            SHA256.HashData(buffer);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return buffer.Length / 1e6 / ClusterBenchmarks.Median(seconds);
    }

    private sealed record Sample(double Seconds, double CoresBusy, long StartWorkingSet, long PeakWorkingSet, long StartHeap, long PeakHeap, int Gen0, int Gen1, int Gen2,
        long RetainedHeap);

    /// <summary>Times <paramref name="action"/> with the process's CPU time; with <paramref name="sample"/>, its working set and GC heap every 10 ms.</summary>
    private static async Task<Sample> Timed(bool sample, Func<Task> action)
    {
        if (sample)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        var process = Process.GetCurrentProcess();
        var startWs = Environment.WorkingSet;
        var startHeap = GC.GetTotalMemory(false);
        long peakWs = startWs, peakHeap = startHeap;
        var (g0, g1, g2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        using var stop = new CancellationTokenSource();
        var sampler = sample
            ? Task.Factory.StartNew(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peakWs = Math.Max(peakWs, Environment.WorkingSet);
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                    Thread.Sleep(10);
                }
            }, TaskCreationOptions.LongRunning)
            : Task.CompletedTask;
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await action();
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var busy = (process.TotalProcessorTime - cpu).TotalSeconds / seconds;
        stop.Cancel();
        await sampler;
        peakWs = Math.Max(peakWs, Environment.WorkingSet);
        var (d0, d1, d2) = (GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2);
        return new Sample(seconds, busy, startWs, peakWs, startHeap, peakHeap, d0, d1, d2, sample ? GC.GetTotalMemory(forceFullCollection: true) : 0);
    }
}

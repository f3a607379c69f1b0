using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Gensyn.Actors.Blobs;
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
/// client in the same process that streams a file to the edge (UploadBlob: <see cref="BlobStreams.SendAsync"/>, read ahead of the wire;
/// the edge hashes the chunks into a partial file as they arrive and moves it into the store) and from it (FetchBlob: the edge streams the
/// store's file, the client hashes it into a file with <see cref="BlobDownload.ReadToFileAsync"/>), so neither side holds a blob in
/// memory. Each size runs twice in the same process: with the former chunking (256 KiB chunks, one in flight) and with cluster.hocon's
/// <c>gensyn.blobs</c> chunking. The worker session is set up directly: a <see cref="SessionGrant"/> registered in the edge's
/// <c>EdgeContext.Sessions</c> that may read the blob and upload, without a Session stream or a signed Hello. Beside it, in the same run:
/// File.Copy of the same file, the StreamRef <c>BlobTransfer</c> fetch (64 MiB), the wire alone (ProbeBandwidth: TLS + HTTP/2 + protobuf
/// from memory, no disk, no hash) and SHA-256 alone. During each transfer the process's working set and GC heap are sampled every 10 ms.
/// </summary>
public static class EdgeBlobBenchmark
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    public static void Run(string repositoryRoot) => RunAsync(repositoryRoot).GetAwaiter().GetResult();

    private static int Setting(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    private static async Task RunAsync(string repositoryRoot)
    {
        var repeats = Setting("GENSYN_BENCH_REPEATS", 3);
        var bigRepeats = Setting("GENSYN_BENCH_BIG_REPEATS", 2);
        var sizes = (Environment.GetEnvironmentVariable("GENSYN_BENCH_SIZES_MIB") ?? "64,512,2048").Split(',')
            .Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToList();
        Console.WriteLine($"edge-blobs: blob transfer through the edge (gRPC over TLS 1.3/HTTP/2, loopback), server and client in this process " +
                          $"({Environment.ProcessorCount} cores, load average {LoadAverage()}; other builds and benchmarks may share the machine; {GCSettings()}):");
        Console.WriteLine("  the worker session is set up directly: a SessionGrant put into the edge's EdgeContext.Sessions (no Session stream, no Hello), " +
                          "allowed to read the blob and to upload; MB = 10^6 bytes");

        var configurations = new (string Name, string Hocon)[]
        {
            ("former chunking: 256 KiB chunks, 1 in flight", "gensyn.blobs { chunk-size = 256k, chunks-in-flight = 1 }"),
            ("cluster.hocon's gensyn.blobs chunking", ""),
        };
        // More to compare, as HOCON separated by ';' (e.g. "gensyn.blobs { chunk-size = 64k, chunks-in-flight = 16 }").
        configurations = [.. configurations, .. (Environment.GetEnvironmentVariable("GENSYN_BENCH_BLOB_SETTINGS") ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => (h, h))];
        var results = new List<(string Configuration, int MiB, Rates Rates)>();
        var sha = ShaOnly();
        foreach (var (name, hocon) in configurations)
        {
            await using var host = await InProcessEdge.StartAsync(repositoryRoot, "edge-blobs", hocon);
            var settings = host.Edge.Context.Blobs;
            Console.WriteLine($"  {name}: chunk-size {settings.ChunkBytes >> 10} KiB, chunks-in-flight {settings.ChunksInFlight}");
            var grant = new SessionGrant("bench-worker", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
            grant.AllowUpload(host.Node.System.DeadLetters);   // a local destination: the edge's own store is the job's
            host.Edge.Context.Sessions[grant.Token] = grant;
            using var connection = EdgeConnection.Open(host.Door, host.Dir("client"));
            var client = new V1.WorkerEdge.WorkerEdgeClient(connection.Channel);
            var wire = await WireOnly(client, repeats);
            Console.WriteLine($"     attribution: the wire alone (ProbeBandwidth, 16 MiB from memory, no disk, no hash, both ends): {wire.MBps:F1} MB/s, " +
                              $"{wire.CpuMsPerMb:F2} CPU-ms/MB; SHA-256 alone (64 MiB in memory, one core): {sha.MBps:F1} MB/s, {sha.CpuMsPerMb:F2} CPU-ms/MB");
            foreach (var mib in sizes)
            {
                var big = mib >= 1024;
                var rates = await Measure(host, client, grant, settings, mib, big ? bigRepeats : repeats, warmUp: !big);
                results.Add((name, mib, rates));
            }
        }

        Console.WriteLine("  summary (MB/s; peak working-set growth during the transfer):");
        foreach (var mib in sizes)
        {
            var (former, current) = (results.First(r => r.MiB == mib).Rates,
                results.First(r => r.MiB == mib && r.Configuration == configurations[1].Name).Rates);
            Console.WriteLine($"     {mib,5} MiB: upload {former.Upload,6:F0} -> {current.Upload,6:F0} (x{current.Upload / former.Upload:F2}, " +
                              $"+{current.UploadGrowth / 1e6:F0} MB), fetch {former.Fetch,6:F0} -> {current.Fetch,6:F0} (x{current.Fetch / former.Fetch:F2}, " +
                              $"+{current.FetchGrowth / 1e6:F0} MB); File.Copy {current.Copy:F0}; upload/copy {current.Upload / current.Copy:F3}, " +
                              $"fetch/copy {current.Fetch / current.Copy:F3}");
        }

        // Last: the StreamRef path keeps its fetched arrays reachable after its ActorSystems are disposed (~2 per fetch), which would
        // inflate the memory figures above.
        if (Environment.GetEnvironmentVariable("GENSYN_BENCH_STREAMREF") is not "0")
        {
            Console.WriteLine("  baseline: the in-cluster StreamRef path (Akka.Remote, file to file), same run:");
            BlobThroughputBenchmark.Run(megabytes: 64, repeats: repeats);
        }
        const double target = 500;
        var last = results.Where(r => r.Configuration == configurations[1].Name).ToList();
        Console.WriteLine($"  target >= {target:F0} MB/s through the edge: upload {Verdict(last.Min(r => r.Rates.Upload))}, " +
                          $"fetch {Verdict(last.Min(r => r.Rates.Fetch))} (the lowest of the sizes)");
        return;

        static string Verdict(double rate) => $"{rate:F1} MB/s {(rate >= target ? "met" : "NOT MET")}";
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string GCSettings() =>
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC{(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "" : ", concurrent")}";

    private sealed record Rates(double Upload, double Fetch, double Copy, long UploadGrowth, long FetchGrowth);

    private static async Task<Rates> Measure(InProcessEdge host, V1.WorkerEdge.WorkerEdgeClient client, SessionGrant grant, BlobSettings settings,
        int mib, int repeats, bool warmUp)
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
            var timed = await Timed(sample: true, () => UploadFile(client, grant.Token, source, hash, size, settings));
            if (!store.Contains(hash) || new FileInfo(store.PathOf(hash)).Length != size) throw new InvalidOperationException("the upload did not land in the store");
            return timed;
        }

        async Task<Sample> Fetch()
        {
            var timed = await Timed(sample: true, () => FetchFile(client, grant.Token, hash, target, settings));
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
        Console.WriteLine($"  {mb:F1} MB ({mib} MiB) random blob, {settings.ChunkBytes / 1024} KiB chunks, {settings.ChunksInFlight} in flight, median of {repeats}{(warmUp ? " after one warm-up" : "")} (runs in MB/s):");
        Console.WriteLine($"     UploadBlob, worker file -> edge store (edge re-reads + SHA-256) : {Rate(uploads),8:F1} MB/s  ({Runs(uploads)}; {Cpu(uploads)})");
        Console.WriteLine($"     FetchBlob, edge store -> worker file (worker SHA-256 on the fly): {Rate(fetches),8:F1} MB/s  ({Runs(fetches)}; {Cpu(fetches)})");
        Console.WriteLine($"     File.Copy of the same file                                      : {Rate(copies),8:F1} MB/s  ({Runs(copies)})");
        {
            foreach (var (name, samples) in new[] { ("UploadBlob", uploads), ("FetchBlob", fetches) })
            {
                var s = samples.MaxBy(x => x.PeakWorkingSet)!;
                Console.WriteLine($"     memory during {name} of {mib} MiB (sampled every 10 ms): working set {s.StartWorkingSet / 1e6:F0} MB before -> peak {s.PeakWorkingSet / 1e6:F0} MB " +
                                  $"(+{(s.PeakWorkingSet - s.StartWorkingSet) / 1e6:F0} MB); GC heap {s.StartHeap / 1e6:F0} MB before -> peak {s.PeakHeap / 1e6:F0} MB; " +
                                  $"GCs gen0/1/2 {s.Gen0}/{s.Gen1}/{s.Gen2}; GC heap after a full GC {s.RetainedHeap / 1e6:F0} MB");
            }
        }
        return new Rates(Rate(uploads), Rate(fetches), Rate(copies), uploads.Max(x => x.PeakWorkingSet - x.StartWorkingSet),
            fetches.Max(x => x.PeakWorkingSet - x.StartWorkingSet));
    }

    /// <summary>Sends <paramref name="path"/> as the upload of <paramref name="hash"/>, read in chunks ahead of the wire.</summary>
    private static async Task UploadFile(V1.WorkerEdge.WorkerEdgeClient client, string token, string path, Sha256Digest hash, long size,
        BlobSettings settings)
    {
        var headers = new Metadata
        {
            { WorkerEdgeService.SessionHeader, token },
            { WorkerEdgeService.BlobHashHeader, hash.ToString() },
            { WorkerEdgeService.BlobSizeHeader, size.ToString(CultureInfo.InvariantCulture) },
            { WorkerEdgeService.BlobOffsetHeader, "0" },
        };
        using var call = client.UploadBlob(headers, DateTime.UtcNow + Deadline);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0,
                         FileOptions.Asynchronous | FileOptions.SequentialScan))
            await BlobStreams.SendAsync(file, call.RequestStream, settings, CancellationToken.None);
        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;
        if (Sha256Digest.FromBytes(reply.Hash.Span) != hash) throw new InvalidOperationException("the edge acknowledged another blob");
    }

    /// <summary>Fetches <paramref name="hash"/> into <paramref name="path"/>, hashing the chunks into the file as they arrive.</summary>
    private static async Task FetchFile(V1.WorkerEdge.WorkerEdgeClient client, string token, Sha256Digest hash, string path, BlobSettings settings)
    {
        var headers = new Metadata { { WorkerEdgeService.SessionHeader, token } };
        using var call = client.FetchBlob(new V1.FetchBlobRequest { Hash = ByteString.CopyFrom(hash.ToBytes()) }, headers, DateTime.UtcNow + Deadline);
        await BlobDownload.ReadToFileAsync(call.ResponseStream, hash, path, long.MaxValue, "too large", settings.ChunksInFlight,
            CancellationToken.None);
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

    /// <summary>CPU seconds of this process while <paramref name="action"/> runs.</summary>
    private static async Task<double> CpuSeconds(Func<Task> action)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        await action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>MB/s and CPU-ms per MB of the wire alone (ProbeBandwidth from memory: TLS, HTTP/2 and protobuf on both ends).</summary>
    private static async Task<(double MBps, double CpuMsPerMb)> WireOnly(V1.WorkerEdge.WorkerEdgeClient client, int repeats)
    {
        async Task Once()
        {
            using var call = client.ProbeBandwidth(new V1.ProbeRequest { Bytes = WorkerEdgeService.MaxProbeBytes }, deadline: DateTime.UtcNow + Deadline);
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        }
        await Once();
        var seconds = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            cpu.Add(await CpuSeconds(Once));
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var mb = WorkerEdgeService.MaxProbeBytes / 1e6;
        return (mb / ClusterBenchmarks.Median(seconds), ClusterBenchmarks.Median(cpu) * 1000 / mb);
    }

    /// <summary>MB/s and CPU-ms per MB of SHA-256 over 64 MiB in memory, on one core.</summary>
    private static (double MBps, double CpuMsPerMb) ShaOnly()
    {
        var buffer = new byte[64 << 20];
        new Random(3).NextBytes(buffer);
        SHA256.HashData(buffer);
        var seconds = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            cpu.Add(CpuSeconds(() =>
            {
                SHA256.HashData(buffer);
                return Task.CompletedTask;
            }).GetAwaiter().GetResult());
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var mb = buffer.Length / 1e6;
        return (mb / ClusterBenchmarks.Median(seconds), ClusterBenchmarks.Median(cpu) * 1000 / mb);
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

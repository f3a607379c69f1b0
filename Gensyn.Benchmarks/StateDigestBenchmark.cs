using System.Diagnostics;
using System.Security.Cryptography;
using Gensyn.Training.State;

namespace Gensyn.Benchmarks;

/// <summary>
/// Hash throughput against thread count: the state digest (a Merkle root over 1 MiB chunks, <see cref="StateDigest"/>)
/// on 1, 2, 4, … threads up to every core, against one serial SHA-256 stream over the same bytes (the digest before
/// it), measured in the same rounds, each round running every variant once in turn.
/// </summary>
public static class StateDigestBenchmark
{
    public static void Run(int[] megabytes, int rounds = 7)
    {
        var cores = Environment.ProcessorCount;
        var threads = new SortedSet<int> { 1, cores, Math.Max(1, cores - 1) };
        for (var t = 2; t < cores; t *= 2) threads.Add(t);
        Console.WriteLine($"state digest: MB/s (1 MB = 10^6 bytes) against threads, {cores} cores, median of {rounds} rounds " +
                          $"(default parallelism {StateDigest.DefaultParallelism}); baseline: one serial SHA-256 stream");
        foreach (var mb in megabytes)
        {
            var state = new byte[mb * 1_000_000];
            new Random(mb).NextBytes(state);
            var serial = new List<double>();
            var merkle = threads.ToDictionary(t => t, _ => new List<double>());
            // Warm both paths (JIT, thread pool).
            SHA256.HashData(state);
            foreach (var t in threads) StateDigest.Of(state, t);
            for (var r = 0; r < rounds; r++)
            {
                serial.Add(MegabytesPerSecond(state.Length, () => SHA256.HashData(state)));
                foreach (var t in threads) merkle[t].Add(MegabytesPerSecond(state.Length, () => StateDigest.Of(state, t)));
            }
            var baseline = Median(serial);
            Console.WriteLine($"  {mb} MB state ({(state.Length + StateDigest.ChunkSize - 1) / StateDigest.ChunkSize} chunks)");
            Console.WriteLine($"    serial SHA-256     : {baseline,8:F0} MB/s  {1000.0 * state.Length / 1e6 / baseline,8:F1} ms");
            foreach (var t in threads)
            {
                var rate = Median(merkle[t]);
                Console.WriteLine($"    Merkle, {t,2} thread{(t == 1 ? " " : "s")}: {rate,8:F0} MB/s  {1000.0 * state.Length / 1e6 / rate,8:F1} ms  " +
                                  $"{rate / baseline:F2}x serial (range {merkle[t].Min():F0}-{merkle[t].Max():F0})");
            }
        }
    }

    private static double MegabytesPerSecond(int bytes, Action work)
    {
        var clock = Stopwatch.StartNew();
        work();
        return bytes / 1e6 / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

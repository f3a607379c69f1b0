using System.Globalization;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// A process's CPU seconds (user + system, from /proc/PID/stat), resident memory and thread count (/proc/PID/status),
/// sampled from outside; <see cref="Sample"/> keeps the peaks between two readings.
/// </summary>
public sealed class ProcessProbe(int pid)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public long PeakRssBytes { get; private set; }
    public int PeakThreads { get; private set; }

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3, utime field 14, stime field 15 (1-based over the whole line).
        var user = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var system = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (user + system) / TicksPerSecond;
    }

    public (long RssBytes, int Threads) Status()
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
        }
        return (rss, threads);
    }

    public void Sample()
    {
        try
        {
            var (rss, threads) = Status();
            PeakRssBytes = Math.Max(PeakRssBytes, rss);
            PeakThreads = Math.Max(PeakThreads, threads);
        }
        catch (IOException)
        {
            // The process is gone.
        }
    }

    /// <summary>Open file descriptors (sockets included).</summary>
    public int OpenFiles()
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}

namespace Gensyn.Actors.Workers;

/// <summary>How a provider's worker presents itself and where it keeps its files.</summary>
public sealed record WorkerOptions(
    string WorkerId,
    IReadOnlyList<string> Coordinators,
    string DataDirectory,
    int Threads,
    double PricePerHour)
{
    public string Device => "cpu";

    /// <summary>The worker's Ethereum key file: it signs every result and challenge answer (created on first start).</summary>
    public string KeyFile { get; init; } = Path.Combine(DataDirectory, "worker.key");

    public double MemoryGb => Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1);

    /// <summary>Results are bit-identical only within one class: device, ISA, libtorch version, thread count.</summary>
    public string NumericClass => NumericClassFor(Threads);

    /// <summary>This machine's numeric class at <paramref name="threads"/> threads (what a verifier replaying a job's steps compares against).</summary>
    public static string NumericClassFor(int threads) =>
        $"cpu-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}-libtorch2.10-t{threads}";
}

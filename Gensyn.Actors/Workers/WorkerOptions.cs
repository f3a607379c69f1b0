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

    public double MemoryGb => Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1);

    /// <summary>Results are bit-identical only within one class: device, ISA, libtorch version, thread count.</summary>
    public string NumericClass => $"cpu-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}-libtorch2.10-t{Threads}";
}

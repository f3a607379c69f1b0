using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>How a provider's worker presents itself and where it keeps its files.</summary>
public sealed record WorkerOptions(
    WorkerId WorkerId,
    IReadOnlyList<string> Coordinators,
    string DataDirectory,
    int Threads,
    double? PricePerHour)
{
    /// <summary>
    /// What the worker asks when <see cref="PricePerHour"/> is null (no <c>--price</c>): a fraction of the cloud's
    /// price for the throughput it measures at start (<see cref="Market.DefaultAsk"/>).
    /// </summary>
    public Market.DefaultAsk? DefaultAsk { get; init; }

    /// <summary>The ask per compute-hour of this worker once it measured <paramref name="stepsPerSecond"/>.</summary>
    public double AskFor(double stepsPerSecond) => PricePerHour ?? DefaultAsk?.For(stepsPerSecond)
        ?? throw new InvalidOperationException("a worker without --price needs its default ask rule");

    /// <summary>The device this worker offers, chosen at start (<see cref="ComputeDevice.Choose"/>); its sessions train on <see cref="ComputeDevice.TrainsOn"/>.</summary>
    public ComputeDevice Compute { get; init; } = ComputeDevice.Cpu;

    /// <summary>The offered device's name, as the signed profile carries it (<c>cpu</c>, <c>cuda</c>).</summary>
    public string Device => Compute.Name;

    /// <summary>Limits and the cache size for packed datasets (<c>gensyn.datasets</c> of the cluster.hocon the worker
    /// starts with).</summary>
    public PackedDataSettings Datasets { get; init; } = PackedDataSettings.Default;

    /// <summary>
    /// The most committed shards the worker keeps to answer challenges while it trains the next ones
    /// (<see cref="CommittedShards"/>); the coordinator tells it when each is judged.
    /// </summary>
    public int HeldCommitments { get; init; } = CommittedShards.DefaultCapacity;

    /// <summary>The worker's Ethereum key file: it signs every result and challenge answer (created on first start).</summary>
    public string KeyFile { get; init; } = Path.Combine(DataDirectory, "worker.key");

    /// <summary>
    /// Where this worker departs from the protocol: <see cref="HonestWorker"/> in production; a rehearsed attack from
    /// Gensyn.Testing when the operator asks for one (GENSYN_WORKER_BEHAVIOR, wired in by Gensyn.Node).
    /// </summary>
    public IWorkerFaults Faults { get; init; } = HonestWorker.Instance;

    public double MemoryGb => Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1);

    /// <summary>Results are bit-identical only within one class: device, ISA, libtorch version, thread count.</summary>
    public string NumericClass => NumericClassFor(Threads, Compute);

    /// <summary>
    /// This machine's numeric class at <paramref name="threads"/> threads on <paramref name="device"/> (the CPU when not
    /// given: what a verifier replaying a job's steps compares against). It names the device the steps run on
    /// (<see cref="ComputeDevice.TrainsOn"/>), not the one offered: results are bit-identical only where the kernels are the same.
    /// </summary>
    public static string NumericClassFor(int threads, ComputeDevice? device = null) =>
        $"{(device ?? ComputeDevice.Cpu).TrainsOn.Name}-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}-libtorch2.10-t{threads}";
}

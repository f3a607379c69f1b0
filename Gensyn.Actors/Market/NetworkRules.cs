using Akka.Configuration;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Market;

/// <summary>
/// What the network asks of workers for GPU jobs (HOCON <c>gensyn.market</c>; 16 GB of device memory and 50 Mbps from
/// the coordinators by default), and what a job's shards therefore need: the spec's requirements, raised to the
/// network's minimums for a CUDA job. CPU jobs (small work, tests) have no minimums.
/// </summary>
public static class NetworkRules
{
    public const double DefaultGpuMemoryGb = 16;
    public const double DefaultGpuBandwidthMbps = 50;

    public static NetworkMinimums Minimums(Config config) => new(
        config.GetDouble("gensyn.market.gpu-minimum-memory-gb", DefaultGpuMemoryGb),
        config.GetDouble("gensyn.market.gpu-minimum-bandwidth-mbps", DefaultGpuBandwidthMbps));

    /// <summary>
    /// What a job's shards need on the network <paramref name="config"/> describes, in the job's own numeric class.
    /// </summary>
    public static ShardNeeds Needs(JobSpec spec, Config config) =>
        Needs(spec, Minimums(config), Workers.WorkerOptions.NumericClassFor(spec.Threads));

    /// <summary>
    /// What a job's shards need of a worker: device, memory (at least what its model needs to train,
    /// <see cref="ModelMemoryGb"/>) and bandwidth (at least the network's minimums for a CUDA job), its price cap, and
    /// in replicated mode the job's numeric class (the two replicas' roots are compared bit for bit).
    /// </summary>
    public static ShardNeeds Needs(JobSpec spec, NetworkMinimums minimums, string numericClass)
    {
        var r = spec.Requirements;
        var gpu = r.Device == DeviceRequirement.Cuda;
        // Never less than the model needs to train, whatever the spec asks: a worker too small for it is never matched.
        var memory = Math.Max(r.MinMemoryGb, ModelMemoryGb(spec));
        return new ShardNeeds(r.Device.ToString().ToLowerInvariant(),
            gpu ? Math.Max(memory, minimums.GpuMemoryGb) : memory,
            spec.Budget.MaxPricePerHour,
            spec.Verification.Mode == VerificationMode.Replicated ? numericClass : null,
            gpu ? Math.Max(r.MinBandwidthMbps, minimums.GpuBandwidthMbps) : r.MinBandwidthMbps);
    }

    /// <summary>
    /// What one shard of <paramref name="spec"/> needs in memory, in GB (rounded up to 0.1 GB, as workers report
    /// theirs).
    /// </summary>
    public static double ModelMemoryGb(JobSpec spec) =>
        Math.Ceiling(Kinds.JobKinds.Of(spec).StepBytes(spec) / 1e8) / 10;
}

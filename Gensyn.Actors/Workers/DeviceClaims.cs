using System.Globalization;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The coordinator's check of the device a worker claims (what it is matched on: GPU jobs go only to <c>cuda</c>): the
/// device is one a worker can offer (<see cref="ComputeDevice"/>), and a CUDA claim adds up with the rest of the
/// profile: it measured its throughput (a GPU is matched and priced on it), its numeric class names the device its
/// steps run on and the threads it claims, and a worker whose steps run on the CPU claims no more throughput than a
/// CPU does (<see cref="RegistrationLimits.MaxCpuThroughputPerThread"/> a thread). The figures themselves are only
/// claims until the first shard is observed (<see cref="ThroughputCheck"/>); this refuses the ones that contradict
/// each other.
/// </summary>
public static class DeviceClaims
{
    /// <summary>The devices a worker can offer, by name.</summary>
    public static readonly IReadOnlyList<ComputeDevice> Offered = [ComputeDevice.Cpu, ComputeDevice.Cuda];

    /// <summary>
    /// What is wrong with <paramref name="profile"/>'s device claim, in one line a provider can act on; null if
    /// nothing.
    /// </summary>
    public static string? Problem(RegisterWorker profile, RegistrationLimits limits)
    {
        var device = Offered.FirstOrDefault(d => d.Name == profile.Device);
        if (device is null)
            return $"device must be {string.Join(" or ", Offered.Select(d => d.Name))}, not '{profile.Device}'; " +
                   "start the worker with --device cpu or --device cuda (or leave --device out)";
        if (device != ComputeDevice.Cuda) return null;
        var claim = $"a {device.Name} worker";
        if (!(profile.Throughput > 0))
            return $"throughput must be measured for {claim} (a GPU is matched and priced on it), not " +
                   $"{Number(profile.Throughput)}; restart the worker so it measures its throughput";
        var stepsOn = Offered.FirstOrDefault(d =>
            profile.NumericClass.StartsWith(d.Name + "-", StringComparison.Ordinal));
        if (stepsOn is null || !profile.NumericClass.EndsWith($"-t{profile.Threads}", StringComparison.Ordinal))
            return $"numeric class '{profile.NumericClass}' of {claim} must name the device its steps run on " +
                   $"({string.Join(" or ", Offered.Select(d => d.Name))}) and its {profile.Threads} thread(s) " +
                   $"(-t{profile.Threads}); run the worker as `gensyn worker` builds it";
        var cpuCeiling = limits.MaxCpuThroughputPerThread * profile.Threads;
        if (stepsOn == ComputeDevice.Cpu && profile.Throughput > cpuCeiling)
            return $"throughput {Number(profile.Throughput)} of {claim} whose steps run on the CPU " +
                   $"({profile.NumericClass}) " +
                   $"is more than a CPU does at {profile.Threads} thread(s) (at most {Number(cpuCeiling)} reference " +
                   "steps per second); measure it again or offer the device its steps run on";
        return null;
    }

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Akka.Configuration;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Workers;

/// <summary>
/// What a worker may claim about itself, and how much identity one key may hold (cluster.hocon <c>gensyn.workers</c>):
/// at most <see cref="MaxIdsPerKey"/> worker ids, and <see cref="MaxRegistrationsPerMinute"/> registrations a minute (a
/// new id or a new process; a live worker's periodic re-registration is not counted). The self-reported figures
/// matching and pricing use must be finite and within these bounds. A CUDA claim must add up
/// (<see cref="DeviceClaims"/>): a worker whose steps run on the CPU does at most
/// <see cref="MaxCpuThroughputPerThread"/> reference steps per second a thread.
/// </summary>
public sealed record RegistrationLimits(
    int MaxIdsPerKey = 64,
    int MaxRegistrationsPerMinute = 60,
    double MaxPricePerHour = 1_000_000,
    double MinThroughput = 1,
    double MaxThroughput = 10_000_000,
    double MaxBandwidthMbps = 1_000_000,
    double MaxMemoryGb = 65_536,
    int MaxThreads = 1024,
    double MaxCpuThroughputPerThread = 100_000)
{
    public const string Section = "gensyn.workers";

    /// <summary>
    /// When a claimed throughput is checked against a shard, and how far above the observed figure it may be.
    /// </summary>
    public ThroughputCheck Throughput { get; init; } = new();

    /// <summary>
    /// The limits in <paramref name="config"/>'s <c>gensyn.workers</c> section, each defaulting to the record's
    /// default.
    /// </summary>
    public static RegistrationLimits From(Config config)
    {
        var d = new RegistrationLimits();
        return new RegistrationLimits(
            config.GetInt($"{Section}.max-ids-per-key", d.MaxIdsPerKey),
            config.GetInt($"{Section}.max-registrations-per-key-per-minute", d.MaxRegistrationsPerMinute),
            config.GetDouble($"{Section}.max-price-per-hour", d.MaxPricePerHour),
            config.GetDouble($"{Section}.min-throughput", d.MinThroughput),
            config.GetDouble($"{Section}.max-throughput", d.MaxThroughput),
            config.GetDouble($"{Section}.max-bandwidth-mbps", d.MaxBandwidthMbps),
            config.GetDouble($"{Section}.max-memory-gb", d.MaxMemoryGb),
            config.GetInt($"{Section}.max-threads", d.MaxThreads),
            config.GetDouble($"{Section}.max-cpu-throughput-per-thread", d.MaxCpuThroughputPerThread))
        {
            Throughput = new ThroughputCheck(
                config.GetDouble($"{Section}.throughput-tolerance", d.Throughput.Tolerance),
                config.GetTimeSpan($"{Section}.min-observed-time", TimeSpan.FromSeconds(d.Throughput.MinSeconds))
                    .TotalSeconds,
                config.GetDouble($"{Section}.min-observed-step-work", d.Throughput.MinStepWork)),
        };
    }
}

/// <summary>
/// How a claimed throughput is checked: on a worker's first shard that took at least <see cref="MinSeconds"/> and whose
/// steps cost at least <see cref="MinStepWork"/> reference steps each (below either, start-up and per-step bookkeeping,
/// not arithmetic, set the pace, and an honest worker would look slow); a claim more than <see cref="Tolerance"/> times
/// the observed figure, or less than the observed figure over it, is false.
/// </summary>
public sealed record ThroughputCheck(double Tolerance = 10, double MinSeconds = 5, double MinStepWork = 0.5);

/// <summary>
/// The registry's admission rules, with no actors in them: a profile's self-reported figures, and each key's recent
/// registrations (a sliding minute).
/// </summary>
public sealed class RegistrationRules(RegistrationLimits limits)
{
    private readonly Dictionary<string, Queue<DateTime>> _recent = new(StringComparer.OrdinalIgnoreCase);

    public RegistrationLimits Limits => limits;

    /// <summary>
    /// What is wrong with the figures <paramref name="profile"/> reports, in one line a provider can act on; null if
    /// nothing.
    /// </summary>
    public string? ProfileProblem(RegisterWorker profile)
    {
        if (string.IsNullOrWhiteSpace(profile.WorkerId) || profile.WorkerId.Value.Length > 100)
            return "worker id must be 1-100 characters; choose another --worker-id";
        if (profile.Threads < 1 || profile.Threads > limits.MaxThreads)
            return $"threads must be 1-{limits.MaxThreads}, not {profile.Threads}";
        return DeviceClaims.Problem(profile, limits)
            ?? Figure("price per hour", profile.PricePerHour, limits.MaxPricePerHour, "GENS", "; set --price")
            ?? (profile.Throughput is > 0 and var t && t < limits.MinThroughput
                ? $"throughput must be 0 (not measured) or at least {Number(limits.MinThroughput)} reference steps " +
                  $"per second, not {Number(t)}"
                : null)
            ?? Figure("throughput", profile.Throughput, limits.MaxThroughput, "reference steps per second",
                " (0: not measured)")
            ?? Figure("bandwidth", profile.BandwidthMbps, limits.MaxBandwidthMbps, "Mbps", " (0: not measured)")
            ?? Figure("memory", profile.MemoryGb, limits.MaxMemoryGb, "GB", "");
    }

    private static string? Figure(string name, double value, double max, string unit, string hint) =>
        double.IsFinite(value) && value >= 0 && value <= max ? null
            : $"{name} must be a number from 0 to {max.ToString("0.###", CultureInfo.InvariantCulture)} {unit}, " +
              $"not {Number(value)}{hint}";

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Counts a registration of <paramref name="address"/> at <paramref name="now"/> (a new id or a new process);
    /// returns why it is refused when the key already registered
    /// <see cref="RegistrationLimits.MaxRegistrationsPerMinute"/> times in the last minute.
    /// </summary>
    public string? CountRegistration(string address, DateTime now)
    {
        if (!_recent.TryGetValue(address, out var times)) _recent[address] = times = new Queue<DateTime>();
        while (times.TryPeek(out var t) && now - t >= TimeSpan.FromMinutes(1)) times.Dequeue();
        if (times.Count >= limits.MaxRegistrationsPerMinute)
            return $"key {address} registered {times.Count} times in the last minute (at most " +
                   $"{limits.MaxRegistrationsPerMinute}); wait a minute before registering again";
        times.Enqueue(now);
        if (_recent.Count > 100_000) Forget(now);
        return null;
    }

    /// <summary>
    /// Why <paramref name="address"/>, which owns <paramref name="ownedIds"/> ids, may not claim one more; null if it
    /// may.
    /// </summary>
    public string? NewIdProblem(string address, int ownedIds) =>
        ownedIds < limits.MaxIdsPerKey ? null
            : $"key {address} already has {ownedIds} worker ids (at most {limits.MaxIdsPerKey} per key); " +
              "reuse one of its --worker-id values";

    /// <summary>Drops the keys with no registration in the last minute.</summary>
    private void Forget(DateTime now)
    {
        foreach (var (key, times) in _recent.ToList())
            if (!times.TryPeek(out _) || now - times.Last() >= TimeSpan.FromMinutes(1)) _recent.Remove(key);
    }
}

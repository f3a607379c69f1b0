using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Scheduling;

/// <summary>
/// A shard waiting for a worker; never one of <see cref="Exclude"/> (by id) or <see cref="ExcludeAddresses"/> (by
/// provider key). <see cref="Replicated"/>: one of two replicas of a shard, whose worker is drawn at random (see
/// <see cref="SchedulerState{TRef}.Match"/>). <see cref="Preferred"/>: the worker that trained the shard last round,
/// granted first when it is idle and allowed.
/// </summary>
public sealed record WorkRequest<TRef>(
    JobId JobId,
    int Round,
    int Shard,
    TRef Requester,
    IReadOnlyCollection<WorkerId>? Exclude = null,
    IReadOnlyCollection<string>? ExcludeAddresses = null,
    ShardNeeds? Needs = null,
    bool Replicated = false,
    WorkerId? Preferred = null)
{
    /// <summary>
    /// Whether <paramref name="worker"/> is neither excluded from this shard nor misses one of its needs.
    /// </summary>
    public bool Allows(WorkerEntry<TRef> worker) => Permits(worker) && Unmet(worker) is null;

    /// <summary>Whether <paramref name="worker"/> is not excluded from this shard, by id or by key.</summary>
    public bool Permits(WorkerEntry<TRef> worker) =>
        Exclude?.Contains(worker.WorkerId) != true &&
        ExcludeAddresses?.Any(a => string.Equals(a, worker.Address, StringComparison.OrdinalIgnoreCase)) != true;

    /// <summary>The first of the shard's requirements <paramref name="worker"/> misses, as a phrase, or null.</summary>
    public string? Unmet(WorkerEntry<TRef> worker)
    {
        if (Needs is not { } n) return null;
        var anyDevice = n.Device is "any" or "";
        if (!anyDevice && !string.Equals(n.Device, worker.Device, StringComparison.OrdinalIgnoreCase))
            return $"device {n.Device}";
        if (worker.MemoryGb < n.MinMemoryGb) return $"at least {n.MinMemoryGb:0.#} GB of memory";
        if (worker.BandwidthMbps < n.MinBandwidthMbps)
            return $"at least {n.MinBandwidthMbps:0.#} Mbps from the coordinators";
        if (worker.Price > n.MaxPricePerHour) return $"a price of at most {n.MaxPricePerHour:0.###} GENS per hour";
        if (n.NumericClass is { } c && c != worker.NumericClass) return $"numeric class {c}";
        return null;
    }

    public string Label => new ShardRef(JobId, Round, Shard).ToString();

    /// <summary>
    /// What, besides the workers, decides why this request waits: its pair (a replica), needs and exclusions.
    /// Requests with the same key wait for the same reason (<see cref="WaitingReasons{TRef}"/>); worked out once.
    /// </summary>
    public string WaitKey { get; } = $"{(Replicated ? new ShardRef(JobId, Round, Shard).ToString() : "")}|{Needs}|" +
        $"{string.Join(',', Exclude ?? [])}|{string.Join(',', ExcludeAddresses ?? [])}";
}

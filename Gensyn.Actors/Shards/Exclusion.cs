using Gensyn.Contracts;

namespace Gensyn.Actors.Shards;

/// <summary>
/// Who a job keeps away from its shards: the worker ids whose results it rejected, and their keys. A key is what costs stake,
/// so a caught provider that comes back under a new worker id is still excluded.
/// </summary>
public sealed record Exclusion(IReadOnlyList<WorkerId> Workers, IReadOnlyList<string> Addresses)
{
    public static readonly Exclusion None = new([], []);

    /// <summary>Whether a worker with this id or this key is excluded.</summary>
    public bool Covers(WorkerId? workerId, string? address) =>
        (workerId is not null && Workers.Contains(workerId.Value)) ||
        (!string.IsNullOrEmpty(address) && Addresses.Contains(address, StringComparer.OrdinalIgnoreCase));
}

using Gensyn.Contracts;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Which provider key owns each worker id: the first key that registered it. Another key never gets that id (it could
/// otherwise take over an honest worker's name, and its record, once that worker went offline); the owner's own key may
/// come back from a new process. Bounded: past <paramref name="capacity"/> ids the oldest claim is forgotten.
/// </summary>
public sealed class WorkerIdOwners(int capacity = 100_000)
{
    private readonly Dictionary<WorkerId, string> _owners = [];
    private readonly Dictionary<string, int> _idsPerKey = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<WorkerId> _order = new();

    public int Count => _owners.Count;

    /// <summary>
    /// Claims <paramref name="workerId"/> for <paramref name="address"/> if nobody owns it yet; returns null when
    /// <paramref name="address"/> may use the id (it owns it now), or the address of the key that does own it.
    /// </summary>
    public string? Claim(WorkerId workerId, string address)
    {
        if (_owners.TryGetValue(workerId, out var owner))
            return string.Equals(owner, address, StringComparison.OrdinalIgnoreCase) ? null : owner;
        _owners[workerId] = address;
        _idsPerKey[address] = _idsPerKey.GetValueOrDefault(address) + 1;
        _order.Enqueue(workerId);
        while (_owners.Count > capacity && _order.TryDequeue(out var oldest))
        {
            if (!_owners.Remove(oldest, out var key)) continue;
            if (--_idsPerKey[key] == 0) _idsPerKey.Remove(key);
        }
        return null;
    }

    /// <summary>The key that owns <paramref name="workerId"/>, or null.</summary>
    public string? OwnerOf(WorkerId workerId) => _owners.GetValueOrDefault(workerId);

    /// <summary>How many worker ids <paramref name="address"/> owns.</summary>
    public int IdsOf(string address) => _idsPerKey.GetValueOrDefault(address);
}

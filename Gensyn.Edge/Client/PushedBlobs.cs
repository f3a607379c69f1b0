using Gensyn.Contracts;

namespace Gensyn.Edge.Client;

/// <summary>
/// Blobs the edge pushed down a worker's session with an assignment (a round's update blob, so that the worker rebuilds
/// its start state without a FetchBlob): kept only when their bytes hash to the hash the assignment names, at most
/// <see cref="Capacity"/> of them (the oldest goes first), each handed out once. A fetch of any other blob, or of one
/// already taken, goes to the edge as before.
/// </summary>
public sealed class PushedBlobs
{
    /// <summary>A worker takes a pushed blob for the shard it was pushed with; a few more cover assignments queued
    /// behind it, or one it never needed (it lacked the states to rebuild from).</summary>
    public const int Capacity = 4;

    private readonly Lock _lock = new();
    private readonly Dictionary<Sha256Digest, byte[]> _blobs = [];
    private readonly List<Sha256Digest> _order = [];

    /// <summary>How many fetches were answered from pushed bytes, without a call to the edge.</summary>
    public int Taken
    {
        get
        {
            lock (_lock) return _taken;
        }
    }

    private int _taken;

    /// <summary>Keeps <paramref name="bytes"/> for <paramref name="hash"/> if they hash to it; whether they did.
    /// </summary>
    public bool Offer(Sha256Digest hash, ReadOnlySpan<byte> bytes)
    {
        if (Sha256Digest.Of(bytes) != hash) return false;
        var copy = bytes.ToArray();
        lock (_lock)
        {
            if (_blobs.TryAdd(hash, copy)) _order.Add(hash);
            else _blobs[hash] = copy;
            while (_order.Count > Capacity)
            {
                _blobs.Remove(_order[0]);
                _order.RemoveAt(0);
            }
        }
        return true;
    }

    /// <summary>The pushed bytes of <paramref name="hash"/>, removed, if they are held and no longer than
    /// <paramref name="maxBytes"/>; null otherwise.</summary>
    public byte[]? Take(Sha256Digest hash, long maxBytes)
    {
        lock (_lock)
        {
            if (!_blobs.TryGetValue(hash, out var bytes) || bytes.Length > maxBytes) return null;
            _blobs.Remove(hash);
            _order.Remove(hash);
            _taken++;
            return bytes;
        }
    }
}

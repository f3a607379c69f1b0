using Gensyn.Contracts;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;

namespace Gensyn.Actors.Verification;

/// <summary>
/// A verifier's round start states, read once: every result of a round starts from the same few states, so each is
/// deserialized (and its digest checked) on its first result, not on every one. Kept by blob hash, the latest
/// <see cref="Capacity"/>; used on the verifier's training thread only. A blob that does not load is never kept.
/// </summary>
public sealed class StartStates(int capacity = StartStates.DefaultCapacity)
{
    /// <summary>How many start states a verifier keeps when none is given.</summary>
    public const int DefaultCapacity = 4;

    private readonly LinkedList<(Sha256Digest Hash, StateSnapshot State)> _kept = new();

    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>How many times a state was read from its blob (a miss).</summary>
    public int Loads { get; private set; }

    /// <summary>The start state in blob <paramref name="hash"/>; <paramref name="blob"/> gives its bytes on a
    /// miss.</summary>
    /// <exception cref="CheckpointException">The blob is not a state.</exception>
    public StateSnapshot Get(Sha256Digest hash, Func<Sha256Digest, byte[]> blob)
    {
        for (var node = _kept.First; node is not null; node = node.Next)
        {
            if (node.Value.Hash != hash) continue;
            _kept.Remove(node);
            _kept.AddFirst(node);
            return node.Value.State;
        }
        var state = CheckpointFile.Deserialize(blob(hash), "the assigned start state").State;
        Loads++;
        _kept.AddFirst((hash, state));
        while (_kept.Count > Capacity) _kept.RemoveLast();
        return state;
    }
}

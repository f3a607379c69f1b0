using Gensyn.Contracts;

namespace Gensyn.Training.State;

/// <summary>One named float32 tensor of a training state, detached from libtorch.</summary>
public sealed record StateTensor(string Name, long[] Shape, float[] Values);

/// <summary>
/// A training state detached from libtorch: parameters ("param/…"), optimizer buffers ("opt/…") and
/// the optimizer's step counter. Tensors are kept sorted by name (ordinal), the canonical order.
/// </summary>
public sealed class StateSnapshot
{
    public StateSnapshot(IEnumerable<StateTensor> tensors, long step)
    {
        Tensors = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        Step = step;
        for (var i = 1; i < Tensors.Count; i++)
            if (Tensors[i].Name == Tensors[i - 1].Name) throw new ArgumentException($"duplicate tensor name '{Tensors[i].Name}' in a training state");
    }

    public IReadOnlyList<StateTensor> Tensors { get; }
    public long Step { get; }

    public StateTensor? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);

    /// <summary>The tensors whose names start with <paramref name="prefix"/>.</summary>
    public IEnumerable<StateTensor> WithPrefix(string prefix) => Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>
    /// Set when the state's bytes were hashed as they were taken (by the trainer's digest thread, or on loading a
    /// checkpoint file): that digest is not computed again.
    /// </summary>
    private Sha256Digest? _verified;

    /// <summary>
    /// The state digest (<see cref="StateDigest"/>: a Merkle root over the canonical bytes in 1 MiB chunks).
    /// A state whose digest was computed as it was taken or loaded returns that
    /// digest (its values are never changed afterwards: edits make new states).
    /// </summary>
    public Sha256Digest Digest() => _verified ?? Layout().Digest(Values(), Step);

    /// <summary>The canonical bytes (<see cref="CanonicalLayout"/>) the digest covers, in one buffer.</summary>
    public byte[] CanonicalBytes() => Layout().Write(Values(), Step);

    private CanonicalLayout Layout() => CanonicalLayout.For(Tensors.Select(t => (t.Name, t.Shape)).ToList());

    private List<ReadOnlyMemory<float>> Values() => Tensors.Select(t => (ReadOnlyMemory<float>)t.Values).ToList();

    /// <summary>Computes the digest and remembers it (for states whose values will not change: loaded ones).</summary>
    internal Sha256Digest DigestAndRemember() => (_verified = Digest()).Value;

    /// <summary>Remembers a digest computed over exactly these values and step.</summary>
    internal void Remember(Sha256Digest digest) => _verified = digest;

    public StateSnapshot WithStep(long step) => new(Tensors, step);
}

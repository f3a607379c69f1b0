namespace Gensyn.Training.Determinism;

/// <summary>
/// A keyed pseudo-random permutation of [0, n): a 4-round Feistel network over the smallest
/// power-of-two domain that covers n, with cycle-walking back into range. Any position maps to its
/// element without materialising the permutation, which is what lets one step's batch be derived alone.
/// </summary>
public sealed class KeyedPermutation
{
    private const int Rounds = 4;
    private readonly long _n;
    private readonly int _halfBits;
    private readonly ulong _halfMask;
    private readonly ulong _key;

    public KeyedPermutation(long n, ulong key)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "a permutation needs at least one element");
        _n = n;
        var bits = 2;
        while ((1L << bits) < n) bits++;
        if (bits % 2 == 1) bits++;
        _halfBits = bits / 2;
        _halfMask = (1UL << _halfBits) - 1;
        _key = key;
    }

    public long Count => _n;

    /// <summary>The element at <paramref name="position"/> (0 &lt;= position &lt; n).</summary>
    public long this[long position]
    {
        get
        {
            if ((ulong)position >= (ulong)_n) throw new ArgumentOutOfRangeException(nameof(position));
            var x = (ulong)position;
            do x = Encrypt(x); while (x >= (ulong)_n);
            return (long)x;
        }
    }

    private ulong Encrypt(ulong x)
    {
        var left = x >> _halfBits;
        var right = x & _halfMask;
        for (var r = 0; r < Rounds; r++)
        {
            var f = CounterRng.Mix(_key ^ ((ulong)r << 56) ^ right) & _halfMask;
            (left, right) = (right, left ^ f);
        }
        return (left << _halfBits) | right;
    }
}

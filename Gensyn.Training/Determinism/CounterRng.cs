namespace Gensyn.Training.Determinism;

/// <summary>
/// A counter-based random function: every output is a pure function of a key and a counter, so any
/// step's random choices can be derived on their own, in any order, on any machine.
/// Built on the SplitMix64 finalizer, which is a bijection on 64-bit values with good avalanche.
/// </summary>
public static class CounterRng
{
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Derives a key from a sequence of counters, e.g. (seed, round, shard, step).</summary>
    public static ulong Key(params long[] parts)
    {
        ulong h = 0x6A09E667F3BCC908UL;
        foreach (var p in parts) h = Mix(h ^ Mix((ulong)p));
        return h;
    }

    /// <summary>The i-th 64-bit value of the stream named by <paramref name="key"/>.</summary>
    public static ulong At(ulong key, long i) => Mix(key ^ Mix((ulong)i + 0xD1B54A32D192ED03UL));

    /// <summary>A float in [0, 1) from the i-th value of the stream.</summary>
    public static double UnitAt(ulong key, long i) => (At(key, i) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Box–Muller over two stream values).</summary>
    public static double NormalAt(ulong key, long i)
    {
        var u1 = 1.0 - UnitAt(key, 2 * i);
        var u2 = UnitAt(key, 2 * i + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

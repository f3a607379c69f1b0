using System.Security.Cryptography;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A <see cref="Random"/> whose numbers come from the operating system's CSPRNG: who wins a replica's seat cannot be
/// predicted from earlier draws. (Which worker runs a shard never changes its result: the job's spec and seed do.)
/// </summary>
public sealed class CryptoRandom : Random
{
    /// <summary>A uniform double in [0, 1) from 53 random bits.</summary>
    protected override double Sample()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return (BitConverter.ToUInt64(bytes) >> 11) * (1.0 / (1UL << 53));
    }

    public override double NextDouble() => Sample();

    public override int Next(int maxValue) => maxValue <= 0 ? 0 : RandomNumberGenerator.GetInt32(maxValue);

    public override int Next(int minValue, int maxValue) => minValue >= maxValue ? minValue : RandomNumberGenerator.GetInt32(minValue, maxValue);

    public override int Next() => RandomNumberGenerator.GetInt32(int.MaxValue);
}

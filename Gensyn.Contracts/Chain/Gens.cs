using System.Globalization;
using System.Numerics;

namespace Gensyn.Contracts.Chain;

/// <summary>GENS amounts: 6 decimals on chain; the project counts them in micro-GENS (long) and shows them as decimals.</summary>
public static class Gens
{
    public const int Decimals = 6;
    public const long MicrosPerGens = 1_000_000;

    /// <summary>GENS (as a user writes them) to micro-GENS, rounded to the nearest micro.</summary>
    public static long ToMicros(double gens) => checked((long)Math.Round(gens * MicrosPerGens, MidpointRounding.AwayFromZero));

    /// <summary>Parses a user's amount ("12.5"); null when it is not a non-negative number with at most 6 decimals.</summary>
    public static long? TryParse(string text)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0) return null;
        var micros = value * MicrosPerGens;
        if (micros != decimal.Truncate(micros) || micros > long.MaxValue) return null;
        return (long)micros;
    }

    /// <summary>"12.5", "0.004", "100" — no trailing zeros.</summary>
    public static string Format(BigInteger micros)
    {
        var negative = micros < 0;
        var abs = BigInteger.Abs(micros);
        var whole = BigInteger.DivRem(abs, MicrosPerGens, out var fraction);
        var text = fraction.IsZero ? whole.ToString(CultureInfo.InvariantCulture)
            : $"{whole.ToString(CultureInfo.InvariantCulture)}.{fraction.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0')}";
        return negative ? "-" + text : text;
    }
}

using System.Numerics;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// Which ERC-20 a job pays in: the token the escrow allows whose symbol is the spec's <c>budget.token</c> (GENS, USDC).
/// Amounts in a spec are whole tokens; on chain they are units of the token, whole × 10^decimals. The ledger counts in
/// millionths (micros), so a job's token must have 6 decimals, as GENS and USDC do; a token with other decimals is refused.
/// </summary>
public static class EscrowTokens
{
    public const int Decimals = 6;

    /// <summary>Units of a token with <paramref name="decimals"/> decimals for <paramref name="whole"/> tokens.</summary>
    public static BigInteger Units(decimal whole, int decimals) =>
        new(decimal.Round(whole * (decimal)Math.Pow(10, decimals), 0, MidpointRounding.AwayFromZero));

    /// <summary>The address of the allowed token called <paramref name="symbol"/>, or null and a one-line refusal that says what is allowed.</summary>
    public static async Task<(string? Token, string? Problem)> FindAsync(JobEscrowService escrow, string symbol)
    {
        var allowed = new List<(string Address, string Symbol, byte Decimals)>();
        foreach (var address in await escrow.TokensAsync())
        {
            if (!await escrow.TokenAllowedAsync(address)) continue;
            var token = new GensynTokenService(escrow.Web3, address);
            allowed.Add((address, await token.SymbolAsync(), await token.DecimalsAsync()));
        }
        var match = allowed.FirstOrDefault(t => string.Equals(t.Symbol, symbol, StringComparison.OrdinalIgnoreCase));
        if (match.Address is null)
            return (null, $"budget.token {symbol} is not allowed by the escrow at {escrow.Address} (allowed: {string.Join(", ", allowed.Select(t => t.Symbol))}); " +
                          "pay in one of those");
        if (match.Decimals != Decimals)
            return (null, $"budget.token {symbol} ({match.Address}) has {match.Decimals} decimals; this network counts amounts in millionths and pays only in " +
                          $"{Decimals}-decimal tokens");
        return (match.Address, null);
    }

    /// <summary>The symbol of <paramref name="token"/> (for messages).</summary>
    public static Task<string> SymbolAsync(JobEscrowService escrow, string token) => new GensynTokenService(escrow.Web3, token).SymbolAsync();
}

using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// Stakes are GENS; a purge's restitution is counted in the job's escrow token. A job escrowed in another token (USDC)
/// would need a price to convert at, which the chain does not give: its restitution is refused, not converted. Nothing
/// is taken from the stake for it (the fraud slash still is, in GENS, split as today), and the outcome says why.
/// </summary>
public static class RestitutionToken
{
    /// <summary>Why <paramref name="order"/> (a restitution) cannot be paid; null when its job is escrowed in
    /// GENS.</summary>
    public static async Task<string?> RefusalAsync(SettlementOrder order, ChainRuntime chain)
    {
        var token = (await chain.Escrow.JobAsync(EscrowIds.JobKey(order.JobId))).Token;
        return string.Equals(token, chain.Settings.Token, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"job {order.JobId} is escrowed in token {token}, stakes are GENS: a restitution of " +
              $"{Gens.Format(order.SlashMicros ?? 0)} cannot be converted and was not taken";
    }
}

using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors;

/// <summary>The EIP-712 domain this coordinator checks claims under: its chain and escrow, or no chain.</summary>
public static class NetworkDomain
{
    /// <summary>The domain of <paramref name="chain"/> (null while a coordinator that settles on chain does not know it yet).</summary>
    public static Func<ClaimDomain?> Of(ChainLink? chain) => chain is null
        ? () => ClaimDomain.None
        : () => chain.Ready.IsCompletedSuccessfully ? ClaimDomain.Of(chain.Ready.Result.Info) : null;
}

using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.Web3;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// Funds an address on a devnet (anvil) only: ETH for gas through <c>anvil_setBalance</c>, and GENS minted by the token's
/// owner, anvil dev account 0. The mint goes out as <c>eth_sendTransaction</c> from that account, which anvil keeps
/// unlocked, so the node assigns the nonce: several processes may fund at once without their nonces colliding.
/// </summary>
public static class DevFaucet
{
    /// <summary>The ETH balance <see cref="FundAsync"/> tops an address up to.</summary>
    public static readonly BigInteger EthWei = BigInteger.Pow(10, 18) * 100;

    /// <summary>
    /// Gives <paramref name="to"/> at least 100 ETH and mints it <paramref name="gensMicros"/> micro-GENS (0: ETH only).
    /// Returns once the mint is mined; throws <see cref="TransactionRevertedException"/> (or Nethereum's revert
    /// exceptions, see <see cref="RevertReasons"/>) when it reverts, e.g. because dev account 0 does not own the token.
    /// </summary>
    public static async Task FundAsync(string rpcUrl, string tokenAddress, string to, long gensMicros, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gensMicros);
        var web3 = new Web3(rpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = false;
        web3.TransactionReceiptPolling.SetPollingRetryIntervalInMilliseconds(50);

        var balance = await web3.Eth.GetBalance.SendRequestAsync(to);
        ct.ThrowIfCancellationRequested();
        if (balance.Value < EthWei)
            await web3.Client.SendRequestAsync("anvil_setBalance", null, to, new HexBigInteger(EthWei).HexValue);
        if (gensMicros == 0) return;

        var token = new GensynTokenService(web3, tokenAddress);
        // Mints of one process go one at a time; two processes can still race for dev account 0's next nonce
        // ("replacement transaction underpriced", "nonce too low"): the loser tries again.
        await Gate.WaitAsync(ct);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await token.SendAsync(new GensynTokenAbi.MintFunction { FromAddress = DevChain.DevAddress(0), To = to, Amount = gensMicros }, ct);
                    return;
                }
                catch (Nethereum.JsonRpc.Client.RpcResponseException e) when (attempt < 10 &&
                    (e.Message.Contains("underpriced", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("nonce", StringComparison.OrdinalIgnoreCase)))
                {
                    await Task.Delay(20 * attempt, ct);
                }
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);
}

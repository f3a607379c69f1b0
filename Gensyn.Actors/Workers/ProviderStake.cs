using System.Numerics;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A worker's stake at start: registering needs the network's minimum stake from the worker's key. On a devnet the
/// worker tops itself up from anvil's dev account (the faucet) and stakes the minimum; elsewhere the provider stakes
/// with `gensyn stake`, and the worker says so.
/// </summary>
public static class ProviderStake
{
    public static async Task<string> EnsureAsync(ChainInfo info, WorkerKey key)
    {
        var web3 = ChainContract.Connect(info.RpcUrl, key.ExportPrivateKeyHex(), info.ChainId,
            receiptPollingMilliseconds: info.IsDevnet ? 10 : 500);
        var staking = new ProviderStakingService(web3, info.Staking);
        var bonded = await staking.BondedStakeAsync(key.Address);
        var minimum = new BigInteger(Math.Max(info.MinimumStakeMicros, 1));
        if (bonded >= minimum)
            return $"provider {key.Address} has {Gens.Format(bonded)} GENS staked on chain {info.ChainId} " +
                   $"(minimum {Gens.Format(info.MinimumStakeMicros)})";
        if (!info.IsDevnet)
            return $"provider {key.Address} has {Gens.Format(bonded)} GENS staked; the coordinators register it only " +
                   $"from {Gens.Format(minimum)} GENS: run `gensyn stake {Gens.Format(minimum - bonded)}`";
        var top = minimum - bonded;
        await DevFaucet.FundAsync(info.RpcUrl, info.Token, key.Address, (long)top, CancellationToken.None);
        await new GensynTokenService(web3, info.Token).ApproveAsync(info.Staking, top);
        await staking.StakeAsync(top);
        return $"devnet: provider {key.Address} funded from the faucet and staked {Gens.Format(top)} GENS " +
               "(the minimum to register)";
    }
}

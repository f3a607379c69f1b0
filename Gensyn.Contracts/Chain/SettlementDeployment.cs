using System.Numerics;
using Nethereum.Web3;

namespace Gensyn.Contracts.Chain;

/// <summary>Addresses of one deployment of the three settlement contracts.</summary>
public sealed record SettlementAddresses(string Token, string Staking, string Escrow);

/// <summary>Deploys GensynToken, ProviderStaking and JobEscrow and wires the settlement authority's roles.</summary>
public static class SettlementDeployment
{
    /// <summary>How long after a job's deadline only the settlement authority may settle it (JobEscrow.reclaimGrace): 24 h.</summary>
    public const ulong DefaultReclaimGraceSeconds = 86_400;

    /// <summary>
    /// Deploys with <paramref name="admin"/> as token owner and contract admin, and grants SETTLEMENT_ROLE
    /// on staking and escrow to <paramref name="settlementAuthority"/> (through the constructors).
    /// </summary>
    public static async Task<SettlementAddresses> DeployAsync(
        IWeb3 admin, string settlementAuthority, string treasury, BigInteger minimumStake, ulong unbondingDelaySeconds,
        CancellationToken ct = default, ulong reclaimGraceSeconds = DefaultReclaimGraceSeconds)
    {
        var adminAddress = admin.TransactionManager.Account.Address;
        var token = await ChainContract.DeployAsync(admin, new GensynTokenAbi.Deployment { InitialOwner = adminAddress }, ct);
        var staking = await ChainContract.DeployAsync(admin, new ProviderStakingAbi.Deployment
        {
            Token = token, Admin = adminAddress, SettlementAuthority = settlementAuthority, Treasury = treasury,
            MinimumStake = minimumStake, UnbondingDelay = unbondingDelaySeconds,
        }, ct);
        var escrow = await ChainContract.DeployAsync(admin, new JobEscrowAbi.Deployment
        {
            Token = token, Admin = adminAddress, SettlementAuthority = settlementAuthority, ReclaimGrace = reclaimGraceSeconds,
        }, ct);
        return new SettlementAddresses(token, staking, escrow);
    }
}

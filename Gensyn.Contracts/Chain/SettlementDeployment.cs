using System.Numerics;
using Nethereum.Web3;

namespace Gensyn.Contracts.Chain;

/// <summary>Addresses of one deployment of the settlement contracts and of their admin, the timelock (empty where not known).</summary>
public sealed record SettlementAddresses(string Token, string Staking, string Escrow, string Timelock = "", string Usdc = "");

/// <summary>Deploys the admin timelock, GensynToken, ProviderStaking and JobEscrow, and wires the settlement authority's roles.</summary>
public static class SettlementDeployment
{
    /// <summary>How long after a job's deadline only the settlement authority may settle it (JobEscrow.reclaimGrace): 24 h.</summary>
    public const ulong DefaultReclaimGraceSeconds = 86_400;

    /// <summary>How long an admin call waits in the timelock between being scheduled and being run: 1 h on a devnet.</summary>
    public const ulong DefaultAdminDelaySeconds = 3_600;

    /// <summary>
    /// Deploys an <c>AdminTimelock</c> whose only proposer and executor is <paramref name="admin"/>, and makes the timelock, not
    /// <paramref name="admin"/>, the admin (DEFAULT_ADMIN_ROLE) of staking and escrow: every admin call waits
    /// <paramref name="adminDelaySeconds"/> in public. <paramref name="admin"/> stays the token's owner (the devnet's faucet mints
    /// with it; on a real network the token is an existing ERC-20). SETTLEMENT_ROLE on staking and escrow goes to
    /// <paramref name="settlementAuthority"/> (through the constructors). The escrow takes jobs in GENS and in a 6-decimal mock
    /// USDC (<c>MockUSDC</c>, also owned by <paramref name="admin"/>); stakes and slashes stay in GENS.
    /// </summary>
    public static async Task<SettlementAddresses> DeployAsync(
        IWeb3 admin, string settlementAuthority, string treasury, BigInteger minimumStake, ulong unbondingDelaySeconds,
        CancellationToken ct = default, ulong reclaimGraceSeconds = DefaultReclaimGraceSeconds, ulong adminDelaySeconds = DefaultAdminDelaySeconds)
    {
        var adminAddress = admin.TransactionManager.Account.Address;
        var timelock = await ChainContract.DeployAsync(admin, new AdminTimelockAbi.Deployment
        {
            MinDelay = adminDelaySeconds, Proposers = [adminAddress], Executors = [adminAddress],
        }, ct);
        var token = await ChainContract.DeployAsync(admin, new GensynTokenAbi.Deployment { InitialOwner = adminAddress }, ct);
        var usdc = await ChainContract.DeployAsync(admin, new MockUsdcAbi.Deployment { InitialOwner = adminAddress }, ct);
        var staking = await ChainContract.DeployAsync(admin, new ProviderStakingAbi.Deployment
        {
            Token = token, Admin = timelock, SettlementAuthority = settlementAuthority, Treasury = treasury,
            MinimumStake = minimumStake, UnbondingDelay = unbondingDelaySeconds,
        }, ct);
        var escrow = await ChainContract.DeployAsync(admin, new JobEscrowAbi.Deployment
        {
            Tokens = [token, usdc], Admin = timelock, SettlementAuthority = settlementAuthority, ReclaimGrace = reclaimGraceSeconds,
        }, ct);
        return new SettlementAddresses(token, staking, escrow, timelock, usdc);
    }
}

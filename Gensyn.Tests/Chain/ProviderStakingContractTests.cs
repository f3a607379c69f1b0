using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts.Chain;
using Nethereum.Contracts;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Chain;

/// <summary>ProviderStaking and the GENS token against a real anvil: success paths and every revert.</summary>
public sealed class ProviderStakingContractTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    private const int Admin = DevChain.AdminAccount;
    private const int Authority = DevChain.SettlementAuthorityAccount;
    private const int Provider = 3;
    private const int Requester = 2;
    private const int Stranger = 7;
    private static readonly byte[] Evidence = SHA256.HashData(Encoding.UTF8.GetBytes("fraud proof"));

    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_token_is_GENS_with_6_decimals_and_only_the_owner_mints()
    {
        Assert.Equal("GENS", await f.Token(0).SymbolAsync());
        Assert.Equal(6, await f.Token(0).DecimalsAsync());
        var supply = await f.TotalSupplyAsync();
        await f.Token(Admin).MintAsync(f.Address(Stranger), 5);
        Assert.Equal(supply + 5, await f.TotalSupplyAsync());
        var error = await Revert.With<GensynTokenAbi.OwnableUnauthorizedAccountError>(() => f.Token(Stranger).MintAsync(f.Address(Stranger), 1));
        Assert.Equal(f.Address(Stranger), error.Account, ignoreCase: true);
    }

    [Fact]
    public async Task Staking_the_minimum_registers_a_provider()
    {
        Assert.False(await f.Staking(0).IsRegisteredAsync(f.Address(Provider)));
        var receipt = await f.Staking(Provider).StakeAsync(MinimumStake - 1);
        Assert.Equal(MinimumStake - 1, Assert.Single(receipt.DecodeAllEvents<ProviderStakingAbi.StakedEvent>()).Event.BondedStake);
        Assert.False(await f.Staking(0).IsRegisteredAsync(f.Address(Provider)));
        await f.Staking(Provider).StakeAsync(1);
        Assert.True(await f.Staking(0).IsRegisteredAsync(f.Address(Provider)));
        Assert.Equal(MinimumStake, await f.Token(0).BalanceOfAsync(f.Addresses.Staking));
        await Revert.With<SharedAbi.ZeroAmountError>(() => f.Staking(Provider).StakeAsync(0));
    }

    [Fact]
    public async Task Unbonding_waits_out_the_delay_before_the_stake_can_be_withdrawn()
    {
        await f.Staking(Provider).StakeAsync(Gens(150));
        var too_much = await Revert.With<ProviderStakingAbi.InsufficientBondedStakeError>(() => f.Staking(Provider).RequestUnbondAsync(Gens(151)));
        Assert.Equal(Gens(150), too_much.Bonded);
        await Revert.With<SharedAbi.ZeroAmountError>(() => f.Staking(Provider).RequestUnbondAsync(0));
        await Revert.With<SharedAbi.NothingToWithdrawError>(() => f.Staking(Provider).WithdrawUnbondedAsync());

        var receipt = await f.Staking(Provider).RequestUnbondAsync(Gens(60));
        var requested = Assert.Single(receipt.DecodeAllEvents<ProviderStakingAbi.UnbondRequestedEvent>()).Event;
        Assert.Equal(await f.NowAsync() + UnbondingDelay, requested.ReleaseTime);
        Assert.False(await f.Staking(0).IsRegisteredAsync(f.Address(Provider)));
        var early = await Revert.With<ProviderStakingAbi.UnbondingNotReadyError>(() => f.Staking(Provider).WithdrawUnbondedAsync());
        Assert.Equal(requested.ReleaseTime, early.ReleaseTime);

        await f.Chain.IncreaseTimeAsync((long)UnbondingDelay);
        var before = await f.Token(0).BalanceOfAsync(f.Address(Provider));
        var withdrawn = await f.Staking(Provider).WithdrawUnbondedAsync();
        Assert.Equal(Gens(60), Assert.Single(withdrawn.DecodeAllEvents<ProviderStakingAbi.UnbondedWithdrawnEvent>()).Event.Amount);
        Assert.Equal(before + Gens(60), await f.Token(0).BalanceOfAsync(f.Address(Provider)));
        Assert.Equal(Gens(90), await f.Staking(0).BondedStakeAsync(f.Address(Provider)));
    }

    [Fact]
    public async Task Slash_splits_between_the_requester_and_the_treasury_and_reaches_unbonding_stake()
    {
        await f.Staking(Provider).StakeAsync(Gens(200));
        await f.Staking(Provider).RequestUnbondAsync(Gens(150));
        var requesterBefore = await f.Token(0).BalanceOfAsync(f.Address(Requester));
        var treasury = f.Address(DevChain.TreasuryAccount);

        var receipt = await f.Staking(Authority).SlashAsync(f.Address(Provider), Gens(100), Evidence, f.Address(Requester), 2_500);
        var slashed = Assert.Single(receipt.DecodeAllEvents<ProviderStakingAbi.SlashedEvent>()).Event;
        Assert.Equal(Gens(25), slashed.RequesterShare);
        Assert.Equal(Gens(75), slashed.TreasuryShare);
        Assert.Equal(Evidence, slashed.EvidenceHash);
        Assert.Equal(requesterBefore + Gens(25), await f.Token(0).BalanceOfAsync(f.Address(Requester)));
        Assert.Equal(Gens(75), await f.Token(0).BalanceOfAsync(treasury));
        Assert.Equal(BigInteger.Zero, await f.Staking(0).BondedStakeAsync(f.Address(Provider)));
        Assert.Equal(Gens(100), await f.Staking(0).UnbondingStakeAsync(f.Address(Provider)));
        Assert.Equal(Gens(100), await f.Token(0).BalanceOfAsync(f.Addresses.Staking));
    }

    [Fact]
    public async Task Slash_never_exceeds_the_stake_and_checks_its_arguments()
    {
        await f.Staking(Provider).StakeAsync(Gens(100));
        var error = await Revert.With<ProviderStakingAbi.SlashExceedsStakeError>(
            () => f.Staking(Authority).SlashAsync(f.Address(Provider), Gens(100) + 1, Evidence, f.Address(Requester), 0));
        Assert.Equal(Gens(100), error.Slashable);
        await Revert.With<SharedAbi.ZeroAmountError>(() => f.Staking(Authority).SlashAsync(f.Address(Provider), 0, Evidence, f.Address(Requester), 0));
        var bps = await Revert.With<ProviderStakingAbi.InvalidShareBpsError>(() => f.Staking(Authority).SlashAsync(f.Address(Provider), 1, Evidence, f.Address(Requester), 10_001));
        Assert.Equal(10_001, bps.Bps);
        await Revert.With<SharedAbi.ZeroAddressError>(
            () => f.Staking(Authority).SlashAsync(f.Address(Provider), 1, Evidence, "0x0000000000000000000000000000000000000000", 1));
        await f.Staking(Authority).SlashAsync(f.Address(Provider), Gens(100), Evidence, "0x0000000000000000000000000000000000000000", 0);
        Assert.Equal(Gens(100), await f.Token(0).BalanceOfAsync(f.Address(DevChain.TreasuryAccount)));
    }

    [Fact]
    public async Task One_piece_of_evidence_slashes_once()
    {
        await f.Staking(Provider).StakeAsync(Gens(300));
        Assert.False(await f.Staking(0).EvidenceUsedAsync(Evidence));
        await f.Staking(Authority).SlashAsync(f.Address(Provider), Gens(100), Evidence, f.Address(Requester), 0);
        Assert.True(await f.Staking(0).EvidenceUsedAsync(Evidence));
        var error = await Revert.With<ProviderStakingAbi.EvidenceUsedError>(
            () => f.Staking(Authority).SlashAsync(f.Address(Provider), Gens(100), Evidence, f.Address(Requester), 0));
        Assert.Equal(Evidence, error.EvidenceHash);
        Assert.Equal(Gens(200), await f.Staking(0).BondedStakeAsync(f.Address(Provider)));
    }

    [Fact]
    public async Task Only_the_settlement_authority_slashes_and_only_the_admin_pauses_or_sets_the_minimum()
    {
        await f.Staking(Provider).StakeAsync(Gens(100));
        var error = await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(
            () => f.Staking(Requester).SlashAsync(f.Address(Provider), 1, Evidence, f.Address(Requester), 0));
        Assert.Equal(await f.Staking(0).QueryAsync<SharedAbi.SettlementRoleFunction, byte[]>(new()), error.NeededRole);
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Staking(Authority).PauseAsync());
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Staking(Stranger).SetMinimumStakeAsync(1));

        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Staking(Admin).SetMinimumStakeAsync(1));
        var changed = await f.AdminAsync(f.Addresses.Staking, new ProviderStakingAbi.SetMinimumStakeFunction { NewMinimum = Gens(101) });
        Assert.Equal(Gens(101), Assert.Single(changed.DecodeAllEvents<ProviderStakingAbi.MinimumStakeChangedEvent>()).Event.NewMinimum);
        Assert.False(await f.Staking(0).IsRegisteredAsync(f.Address(Provider)));
    }

    [Fact]
    public async Task Pause_blocks_staking_and_slashing_but_never_withdrawing_unbonded_stake()
    {
        await f.Staking(Provider).StakeAsync(Gens(100));
        await f.Staking(Provider).RequestUnbondAsync(Gens(40));
        await f.AdminAsync(f.Addresses.Staking, new SharedAbi.PauseFunction());
        Assert.True(await f.Staking(0).PausedAsync());
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Staking(Provider).StakeAsync(1));
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Staking(Provider).RequestUnbondAsync(1));
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Staking(Authority).SlashAsync(f.Address(Provider), 1, Evidence, f.Address(Requester), 0));
        await f.Chain.IncreaseTimeAsync((long)UnbondingDelay);
        await f.Staking(Provider).WithdrawUnbondedAsync();
        await f.AdminAsync(f.Addresses.Staking, new SharedAbi.UnpauseFunction());
        await f.Staking(Provider).StakeAsync(1);
    }
}

using System.Numerics;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Signing;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Chain;

/// <summary>The devnet faucet: ETH and GENS for a fresh address, also from several callers at once.</summary>
public sealed class DevFaucetTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private Task<BigInteger> EthOf(string address) =>
        f.Accounts[0].Eth.GetBalance.SendRequestAsync(address).ContinueWith(t => t.Result.Value);

    [Fact]
    public async Task Funds_a_fresh_address_with_eth_and_gens()
    {
        var wallet = WorkerKey.Generate().Address;
        await DevFaucet.FundAsync(f.Chain.RpcUrl, f.Addresses.Token, wallet, (long)Gens(1_000), CancellationToken.None);

        Assert.Equal(DevFaucet.EthWei, await EthOf(wallet));
        Assert.Equal(Gens(1_000), await f.Token(0).BalanceOfAsync(wallet));
    }

    [Fact]
    public async Task Five_concurrent_calls_all_land()
    {
        var wallets = Enumerable.Range(0, 5).Select(_ => WorkerKey.Generate().Address).ToList();
        var supply = await f.TotalSupplyAsync();
        await Task.WhenAll(wallets.Select((w, i) => DevFaucet.FundAsync(f.Chain.RpcUrl, f.Addresses.Token, w, (long)Gens(10 + i), CancellationToken.None)));

        for (var i = 0; i < wallets.Count; i++)
        {
            Assert.Equal(Gens(10 + i), await f.Token(0).BalanceOfAsync(wallets[i]));
            Assert.Equal(DevFaucet.EthWei, await EthOf(wallets[i]));
        }
        Assert.Equal(supply + Gens(60), await f.TotalSupplyAsync());
    }

    [Fact]
    public async Task A_mint_the_token_refuses_throws_with_the_decoded_reason()
    {
        // A token that dev account 0 does not own: deployed by dev account 2.
        var foreign = await ChainContract.DeployAsync(f.Accounts[2], new GensynTokenAbi.Deployment { InitialOwner = f.Address(2) });
        var e = await Assert.ThrowsAnyAsync<Exception>(() =>
            DevFaucet.FundAsync(f.Chain.RpcUrl, foreign, WorkerKey.Generate().Address, 1, CancellationToken.None));
        Assert.Equal($"GensynToken.OwnableUnauthorizedAccount(account: {f.Address(0)})", RevertReasons.Describe(e), ignoreCase: true);
    }
}

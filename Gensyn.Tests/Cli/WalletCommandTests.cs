using System.Text.Json;
using Gensyn.Contracts.Chain;
using Gensyn.Tests.Chain;

namespace Gensyn.Tests.Cli;

/// <summary>`gensyn wallet` and `gensyn stake` as processes: what needs no chain, and against a devnet given by --chain-rpc and --contracts.</summary>
public sealed class WalletCommandTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private string[] Chain(TempDirectory temp)
    {
        var file = temp.File("contracts.json");
        new ChainSettings(f.Chain.RpcUrl, DevChain.ChainId, f.Addresses.Token, f.Addresses.Staking, f.Addresses.Escrow, IsDevnet: true).SaveContracts(file);
        return ["--chain-rpc", f.Chain.RpcUrl, "--contracts", file];
    }

    private static GensynProcess.Result Run(TempDirectory temp, params string[] args) => GensynProcess.Run(temp.Path, args);

    [Fact]
    public void Wallet_new_refuses_to_replace_a_wallet_without_force()
    {
        using var temp = new TempDirectory();
        var first = Run(temp, "wallet", "new");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var address = first.Stdout.Trim();
        Assert.Matches("^0x[0-9a-fA-F]{40}$", address);

        var again = Run(temp, "wallet", "new");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);
        Assert.Contains("--force", again.Stderr);
        Assert.Single(again.Stderr.Trim().Split('\n'));

        var forced = Run(temp, "wallet", "new", "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.NotEqual(address, forced.Stdout.Trim());
    }

    [Fact]
    public void Wallet_show_prints_the_address_and_says_how_to_create_a_missing_wallet()
    {
        using var temp = new TempDirectory();
        var missing = Run(temp, "wallet", "show");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("create one with `gensyn wallet new`", missing.Stderr);

        var address = Run(temp, "wallet", "new").Stdout.Trim();
        var shown = Run(temp, "wallet", "show", "--json");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        var json = JsonDocument.Parse(shown.Stdout).RootElement;
        Assert.Equal(address, json.GetProperty("address").GetString());
        Assert.Equal(temp.File("wallet.key"), json.GetProperty("keyFile").GetString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("1.0000001")]
    [InlineData("0")]
    public void Stake_with_an_amount_that_is_not_one_exits_2(string amount)
    {
        using var temp = new TempDirectory();
        var result = Run(temp, "stake", amount);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("AMOUNT", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Balance_against_an_unreachable_rpc_is_one_line_that_says_it_cannot_reach_the_chain()
    {
        using var temp = new TempDirectory();
        Run(temp, "wallet", "new");
        var contracts = temp.File("contracts.json");
        new ChainSettings("unused", DevChain.ChainId, DevChain.DevAddress(1), DevChain.DevAddress(2), DevChain.DevAddress(3), IsDevnet: true).SaveContracts(contracts);

        var result = Run(temp, "wallet", "balance", "--chain-rpc", "http://127.0.0.1:1", "--contracts", contracts);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot reach the chain RPC", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Chain_rpc_without_contracts_exits_2()
    {
        using var temp = new TempDirectory();
        Run(temp, "wallet", "new");
        var result = Run(temp, "wallet", "balance", "--chain-rpc", "http://127.0.0.1:1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--chain-rpc and --contracts go together", result.Stderr);
    }

    [Fact]
    public void Faucet_balance_stake_unbond_and_withdraw_on_a_devnet()
    {
        using var temp = new TempDirectory();
        var chain = Chain(temp);
        var address = Run(temp, "wallet", "new").Stdout.Trim();

        var poor = Run(temp, ["stake", "150", "--key", temp.File("wallet.key"), .. chain]);
        Assert.Equal(2, poor.ExitCode);
        Assert.Contains("holds 0 GENS", poor.Stderr);
        Assert.Contains("gensyn wallet faucet --key", poor.Stderr);

        var funded = Run(temp, ["wallet", "faucet", .. chain]);
        Assert.True(funded.ExitCode == 0, funded.Stderr);
        Assert.Contains("holds 1000 GENS", funded.Stdout);

        var staked = Run(temp, ["stake", "150", "--key", temp.File("wallet.key"), .. chain]);
        Assert.True(staked.ExitCode == 0, staked.Stderr);
        Assert.Contains("bonded stake 150 GENS: meets the minimum of 100 GENS", staked.Stdout);

        var unbonded = Run(temp, ["stake", "100", "--unbond", "--key", temp.File("wallet.key"), .. chain]);
        Assert.True(unbonded.ExitCode == 0, unbonded.Stderr);
        Assert.Contains("below the minimum of 100 GENS to register; stake 50 GENS more", unbonded.Stdout);

        var balance = Run(temp, ["wallet", "balance", "--json", .. chain]);
        Assert.True(balance.ExitCode == 0, balance.Stderr);
        var json = JsonDocument.Parse(balance.Stdout).RootElement;
        Assert.Equal(address, json.GetProperty("address").GetString());
        Assert.Equal("850", json.GetProperty("gens").GetString());
        Assert.Equal("50", json.GetProperty("bondedStake").GetString());
        Assert.Equal("100", json.GetProperty("unbondingStake").GetString());
        Assert.False(json.GetProperty("registered").GetBoolean());

        var nothing = Run(temp, ["wallet", "withdraw", .. chain]);
        Assert.True(nothing.ExitCode == 0, nothing.Stderr);
        Assert.Contains("nothing to withdraw", nothing.Stdout);
    }

    [Fact]
    public async Task Withdraw_pulls_the_payouts_of_each_token_and_prints_each_amount_and_transaction()
    {
        using var temp = new TempDirectory();
        var chain = Chain(temp);
        var address = Run(temp, "wallet", "new").Stdout.Trim();
        await DevFaucet.FundAsync(f.Chain.RpcUrl, f.Addresses.Token, address, 0, CancellationToken.None);
        var job = EscrowIds.JobKey("job-0000abcd");
        await f.Escrow(2).DepositAsync(job, f.Addresses.Token, ChainFixture.Gens(100), await f.NowAsync() + 3_600);
        await f.Escrow(DevChain.SettlementAuthorityAccount).PayRoundAsync(job, EscrowIds.SettlementId("job-0000abcd", "round-1"), [address], [12_500_000], 99, 100);
        // A second job paid in the devnet's mock USDC.
        var usdcJob = EscrowIds.JobKey("job-0000abce");
        await f.Escrow(2).DepositAsync(usdcJob, f.Addresses.Usdc, ChainFixture.Gens(100), await f.NowAsync() + 3_600);
        await f.Escrow(DevChain.SettlementAuthorityAccount).PayRoundAsync(usdcJob, EscrowIds.SettlementId("job-0000abce", "round-1"), [address], [2_000_000], 1, 1);

        var balance = JsonDocument.Parse(Run(temp, ["wallet", "balance", "--json", .. chain]).Stdout).RootElement;
        Assert.Equal("12.5", balance.GetProperty("withdrawable").GetString());
        var usdc = Assert.Single(balance.GetProperty("otherTokens").EnumerateArray());
        Assert.Equal(("USDC", "2"), (usdc.GetProperty("symbol").GetString(), usdc.GetProperty("withdrawable").GetString()));

        var withdrawn = Run(temp, ["wallet", "withdraw", .. chain]);
        Assert.True(withdrawn.ExitCode == 0, withdrawn.Stderr);
        var lines = withdrawn.Stdout.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches($"^withdrew 12.5 GENS to {address} \\(transaction 0x[0-9a-f]{{64}}\\)$", lines[0].Trim());
        Assert.Matches($"^withdrew 2 USDC to {address} \\(transaction 0x[0-9a-f]{{64}}\\)$", lines[1].Trim());
        Assert.Equal(12_500_000, await f.Token(0).BalanceOfAsync(address));
        Assert.Equal(2_000_000, await f.Usdc(0).BalanceOfAsync(address));
    }
}

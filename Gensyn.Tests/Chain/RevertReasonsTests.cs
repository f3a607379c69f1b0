using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts.Chain;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Chain;

/// <summary>Chain failures become one line: custom errors decoded with their arguments, and unreachable nodes named as such.</summary>
public sealed class RevertReasonsTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    private const int Authority = DevChain.SettlementAuthorityAccount;
    private const int Requester = 2;
    private const int Stranger = 7;

    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static byte[] Id(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name));

    private static async Task<Exception> FailureOf(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("expected the call to fail, but it succeeded");
    }

    [Fact]
    public async Task A_round_paid_below_the_minimum_match_rate_decodes_to_MatchRateTooLow_with_its_arguments()
    {
        var job = Id("job");
        await f.Escrow(Requester).DepositAsync(job, f.Addresses.Token, Gens(100), await f.NowAsync() + 3_600);
        var e = await FailureOf(() => f.Escrow(Authority).PayRoundAsync(job, Id("round-1"), [f.Address(3)], [Gens(1)], 18, 20));

        Assert.Equal("JobEscrow.MatchRateTooLow(accepted: 18, judged: 20, minimumBps: 9500)", RevertReasons.Describe(e));
        Assert.Equal("MatchRateTooLow", RevertReasons.CustomErrorName(e));
        Assert.False(RevertReasons.IsTransient(e));
    }

    [Fact]
    public async Task A_deposit_without_allowance_decodes_the_token_error_with_address_and_amounts()
    {
        await f.Token(Stranger).ApproveAsync(f.Addresses.Escrow, 0);
        var e = await FailureOf(async () => await f.Escrow(Stranger).DepositAsync(Id("job"), f.Addresses.Token, Gens(5), await f.NowAsync() + 3_600));

        var line = RevertReasons.Describe(e, "JobEscrow");
        Assert.Equal($"GensynToken.ERC20InsufficientAllowance(spender: {f.Addresses.Escrow}, allowance: 0, needed: {Gens(5)})", line, ignoreCase: true);
        Assert.Equal("ERC20InsufficientAllowance", RevertReasons.CustomErrorName(e));
        Assert.False(RevertReasons.IsTransient(e));
    }

    [Fact]
    public async Task An_error_two_contracts_declare_is_named_after_the_contract_called_when_given()
    {
        var e = await FailureOf(() => f.Staking(Stranger).StakeAsync(0));

        Assert.Equal("ProviderStaking.ZeroAmount()", RevertReasons.Describe(e, "ProviderStaking"));
        Assert.Equal("ZeroAmount()", RevertReasons.Describe(e));
    }

    [Fact]
    public async Task Bytes32_and_address_arguments_are_shown_as_hex()
    {
        var job = Id("job");
        await f.Escrow(Requester).DepositAsync(job, f.Addresses.Token, Gens(1), await f.NowAsync() + 3_600);
        var taken = await FailureOf(async () => await f.Escrow(Stranger).DepositAsync(job, f.Addresses.Token, Gens(1), await f.NowAsync() + 3_600));
        Assert.Equal($"JobEscrow.JobAlreadyExists(jobId: {EscrowIds.Hex(job)})", RevertReasons.Describe(taken));

        var unauthorized = await FailureOf(() => f.Escrow(Stranger).PayRoundAsync(job, Id("round-1"), [f.Address(3)], [Gens(1)], 99, 100));
        var role = EscrowIds.Hex(Nethereum.Util.Sha3Keccack.Current.CalculateHash(Encoding.UTF8.GetBytes("SETTLEMENT_ROLE")));
        Assert.Equal($"JobEscrow.AccessControlUnauthorizedAccount(account: {f.Address(Stranger)}, neededRole: {role})",
            RevertReasons.Describe(unauthorized, "JobEscrow"), ignoreCase: true);
    }

    [Fact]
    public void Revert_strings_panics_unknown_selectors_and_mined_reverts_read_as_one_line()
    {
        // Error(string) "no": selector, offset 0x20, length 2, the bytes.
        var errorString = "0x08c379a0" + Word(0x20) + Word(2) + Convert.ToHexStringLower("no"u8.ToArray()).PadRight(64, '0');
        Assert.Equal("reverted: no", RevertReasons.DescribeData(errorString));
        Assert.Equal("panicked: 0x11 (arithmetic overflow or underflow)", RevertReasons.DescribeData("0x4e487b71" + Word(0x11)));
        Assert.Equal("reverted with an error this client does not know: 0xdeadbeef", RevertReasons.DescribeData("0xdeadbeef"));
        Assert.Null(RevertReasons.DescribeData("not hex"));

        var mined = new TransactionRevertedException("DepositFunction", "0xabc");
        Assert.Equal(mined.Message, RevertReasons.Describe(mined));
        Assert.False(RevertReasons.IsTransient(mined));
    }

    [Fact]
    public async Task An_unreachable_rpc_is_transient_and_says_it_cannot_reach_the_chain()
    {
        var web3 = ChainContract.Connect("http://127.0.0.1:1", DevChain.DevPrivateKeys[0], DevChain.ChainId);
        var e = await FailureOf(() => new GensynTokenService(web3, f.Addresses.Token).BalanceOfAsync(f.Address(0)));

        Assert.True(RevertReasons.IsTransient(e), e.ToString());
        var line = RevertReasons.Describe(e);
        Assert.StartsWith("cannot reach the chain RPC: ", line);
        Assert.DoesNotContain('\n', line);
        Assert.Null(RevertReasons.CustomErrorName(e));
    }

    private static string Word(long value) => new BigInteger(value).ToString("x").TrimStart('0').PadLeft(64, '0');
}

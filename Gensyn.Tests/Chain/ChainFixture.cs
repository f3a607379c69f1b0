using System.Numerics;
using System.Text.Json;
using Gensyn.Contracts.Chain;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;

namespace Gensyn.Tests.Chain;

/// <summary>
/// One anvil per test class with the settlement contracts deployed and every dev account funded with
/// GENS. Each test starts from the same state: <see cref="ResetAsync"/> reverts to a snapshot.
/// </summary>
public sealed class ChainFixture : IAsyncLifetime
{
    public const ulong UnbondingDelay = 3_600;
    public static readonly BigInteger MinimumStake = Gens(100);
    public static readonly BigInteger Funding = Gens(1_000_000);

    public DevChain Chain { get; private set; } = null!;
    public SettlementAddresses Addresses { get; private set; } = null!;
    public Web3[] Accounts { get; private set; } = [];
    private string? _snapshot;

    public static BigInteger Gens(long whole) => whole * 1_000_000;

    public async Task InitializeAsync()
    {
        Chain = await DevChain.StartAsync();
        Addresses = await Chain.DeploySettlementAsync(MinimumStake, UnbondingDelay);
        Accounts = Enumerable.Range(0, DevChain.DevPrivateKeys.Count).Select(Chain.Connect).ToArray();
        var owner = Token(DevChain.AdminAccount);
        var usdcOwner = Usdc(DevChain.AdminAccount);
        for (var i = 0; i < Accounts.Length; i++)
        {
            if (i == DevChain.TreasuryAccount) continue;
            await owner.MintAsync(Address(i), Funding);
            await usdcOwner.MintAsync(Address(i), Funding);
            await Token(i).ApproveAsync(Addresses.Escrow, BigInteger.Pow(2, 255));
            await Usdc(i).ApproveAsync(Addresses.Escrow, BigInteger.Pow(2, 255));
            await Token(i).ApproveAsync(Addresses.Staking, BigInteger.Pow(2, 255));
        }
        _snapshot = await SnapshotAsync();
    }

    /// <summary>Returns the chain to the state right after set-up.</summary>
    public async Task ResetAsync()
    {
        await Chain.RpcAsync("evm_revert", $"[\"{_snapshot}\"]");
        _snapshot = await SnapshotAsync(); // anvil snapshots are single-use
        // Nethereum accounts cache their next nonce in memory; after a revert those are too high and
        // anvil would queue the next transaction forever. Fresh accounts read the nonce from the chain.
        Accounts = Enumerable.Range(0, DevChain.DevPrivateKeys.Count).Select(Chain.Connect).ToArray();
    }

    private async Task<string> SnapshotAsync()
    {
        using var doc = JsonDocument.Parse(await Chain.RpcAsync("evm_snapshot", "[]"));
        return doc.RootElement.GetProperty("result").GetString()!;
    }

    public string Address(int account) => DevChain.DevAddress(account);
    public GensynTokenService Token(int account) => new(Accounts[account], Addresses.Token);
    /// <summary>The devnet's 6-decimal mock USDC, the escrow's second allowed token.</summary>
    public GensynTokenService Usdc(int account) => new(Accounts[account], Addresses.Usdc);
    public ProviderStakingService Staking(int account) => new(Accounts[account], Addresses.Staking);
    public JobEscrowService Escrow(int account) => new(Accounts[account], Addresses.Escrow);
    public AdminTimelockService Timelock(int account) => new(Accounts[account], Addresses.Timelock);

    private int _salt;

    /// <summary>
    /// An admin call made the only way there is: scheduled in the timelock by the admin account, then executed once the delay
    /// has passed (this moves the chain's clock forward by the delay). Returns the execution's receipt.
    /// </summary>
    public async Task<Nethereum.RPC.Eth.DTOs.TransactionReceipt> AdminAsync<TFunction>(string target, TFunction call) where TFunction : FunctionMessage, new()
    {
        var salt = new byte[32];
        BitConverter.GetBytes(Interlocked.Increment(ref _salt)).CopyTo(salt, 0);
        var timelock = Timelock(DevChain.AdminAccount);
        await timelock.ScheduleAsync(target, call, salt, SettlementDeployment.DefaultAdminDelaySeconds);
        await Chain.IncreaseTimeAsync((long)SettlementDeployment.DefaultAdminDelaySeconds);
        return await timelock.ExecuteAsync(target, call, salt);
    }

    public Task<BigInteger> TotalSupplyAsync() => Token(0).TotalSupplyAsync();

    public async Task<ulong> NowAsync()
    {
        var block = await Accounts[0].Eth.Blocks.GetBlockWithTransactionsHashesByNumber
            .SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        return (ulong)block.Timestamp.Value;
    }

    public Task DisposeAsync()
    {
        Chain?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Asserts on reverts: the custom error a call reverted with, decoded.</summary>
public static class Revert
{
    /// <summary>Runs <paramref name="action"/>, asserts it reverts with custom error <typeparamref name="TError"/>, and returns the decoded error.</summary>
    public static async Task<TError> With<TError>(Func<Task> action) where TError : class, new()
    {
        Exception? thrown = null;
        try
        {
            await action();
        }
        catch (Exception e)
        {
            thrown = e;
        }
        Assert.True(thrown is not null, $"expected a revert with {typeof(TError).Name}, but the call succeeded");
        for (var e = thrown; e is not null; e = e.InnerException)
        {
            if (e is SmartContractCustomErrorRevertException custom)
            {
                Assert.True(custom.IsCustomErrorFor<TError>(),
                    $"expected a revert with {typeof(TError).Name}, got error data {custom.ExceptionEncodedData}");
                return custom.DecodeError<TError>();
            }
        }
        Assert.Fail($"expected a revert with {typeof(TError).Name}, got {thrown!.GetType().Name}: {thrown.Message}");
        return null!;
    }

    public static bool IsRevert(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is SmartContractCustomErrorRevertException or SmartContractRevertException or TransactionRevertedException
                || (x is RpcResponseException rpc && rpc.Message.Contains("revert", StringComparison.OrdinalIgnoreCase)))
                return true;
        return false;
    }
}

using System.Numerics;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Gensyn.Contracts.Chain;

/// <summary>The GENS token, seen through one signing account.</summary>
public sealed class GensynTokenService(IWeb3 web3, string address) : ChainContract(web3, address)
{
    public Task<TransactionReceipt> MintAsync(string to, BigInteger amount) =>
        SendAsync(new GensynTokenAbi.MintFunction { To = to, Amount = amount });

    public Task<TransactionReceipt> ApproveAsync(string spender, BigInteger amount) =>
        SendAsync(new GensynTokenAbi.ApproveFunction { Spender = spender, Value = amount });

    public Task<TransactionReceipt> TransferAsync(string to, BigInteger amount) =>
        SendAsync(new GensynTokenAbi.TransferFunction { To = to, Value = amount });

    public Task<BigInteger> BalanceOfAsync(string account) =>
        QueryAsync<GensynTokenAbi.BalanceOfFunction, BigInteger>(new() { Account = account });

    public Task<byte> DecimalsAsync() => QueryAsync<GensynTokenAbi.DecimalsFunction, byte>(new());
    public Task<string> SymbolAsync() => QueryAsync<GensynTokenAbi.SymbolFunction, string>(new());
    public Task<BigInteger> TotalSupplyAsync() => QueryAsync<GensynTokenAbi.TotalSupplyFunction, BigInteger>(new());

    /// <summary>The same contract seen through another account.</summary>
    public GensynTokenService As(IWeb3 other) => new(other, Address);
}

/// <summary>Provider staking, seen through one signing account.</summary>
public sealed class ProviderStakingService(IWeb3 web3, string address) : ChainContract(web3, address)
{
    public Task<TransactionReceipt> StakeAsync(BigInteger amount) =>
        SendAsync(new ProviderStakingAbi.StakeFunction { Amount = amount });

    public Task<TransactionReceipt> RequestUnbondAsync(BigInteger amount) =>
        SendAsync(new ProviderStakingAbi.RequestUnbondFunction { Amount = amount });

    public Task<TransactionReceipt> WithdrawUnbondedAsync() => SendAsync(new ProviderStakingAbi.WithdrawUnbondedFunction());

    public Task<TransactionReceipt> SlashAsync(string provider, BigInteger amount, byte[] evidenceHash, string requesterShareTo, ushort requesterShareBps) =>
        SendAsync(new ProviderStakingAbi.SlashFunction
        {
            Provider = provider, Amount = amount, EvidenceHash = evidenceHash,
            RequesterShareTo = requesterShareTo, RequesterShareBps = requesterShareBps,
        });

    public Task<TransactionReceipt> SetMinimumStakeAsync(BigInteger minimum) =>
        SendAsync(new ProviderStakingAbi.SetMinimumStakeFunction { NewMinimum = minimum });

    public Task<TransactionReceipt> PauseAsync() => SendAsync(new SharedAbi.PauseFunction());
    public Task<TransactionReceipt> UnpauseAsync() => SendAsync(new SharedAbi.UnpauseFunction());
    public Task<bool> PausedAsync() => QueryAsync<SharedAbi.PausedFunction, bool>(new());
    public Task<BigInteger> MinimumStakeAsync() => QueryAsync<ProviderStakingAbi.MinimumStakeFunction, BigInteger>(new());

    public Task<bool> IsRegisteredAsync(string provider) =>
        QueryAsync<ProviderStakingAbi.IsRegisteredFunction, bool>(new() { Provider = provider });

    public Task<BigInteger> BondedStakeAsync(string provider) =>
        QueryAsync<ProviderStakingAbi.BondedStakeFunction, BigInteger>(new() { Provider = provider });

    public Task<BigInteger> UnbondingStakeAsync(string provider) =>
        QueryAsync<ProviderStakingAbi.UnbondingStakeFunction, BigInteger>(new() { Provider = provider });

    public Task<bool> EvidenceUsedAsync(byte[] evidenceHash) =>
        QueryAsync<ProviderStakingAbi.EvidenceUsedFunction, bool>(new() { EvidenceHash = evidenceHash });

    public Task<ulong> UnbondingReleaseTimeAsync(string provider) =>
        QueryAsync<ProviderStakingAbi.UnbondingReleaseTimeFunction, ulong>(new() { Provider = provider });

    public ProviderStakingService As(IWeb3 other) => new(other, Address);
}

/// <summary>The job escrow, seen through one signing account.</summary>
public sealed class JobEscrowService(IWeb3 web3, string address) : ChainContract(web3, address)
{
    /// <summary>Opens job <paramref name="jobId"/> with <paramref name="amount"/> units of <paramref name="token"/> (an allowed token).</summary>
    public Task<TransactionReceipt> DepositAsync(byte[] jobId, string token, BigInteger amount, ulong deadline) =>
        SendAsync(new JobEscrowAbi.DepositFunction { JobId = jobId, Token = token, Amount = amount, Deadline = deadline });

    public Task<TransactionReceipt> PayRoundAsync(byte[] jobId, byte[] settlementId, IReadOnlyList<string> workers, IReadOnlyList<BigInteger> amounts, uint accepted, uint judged) =>
        SendAsync(new JobEscrowAbi.PayRoundFunction
        {
            JobId = jobId, SettlementId = settlementId, Workers = [.. workers], Amounts = [.. amounts], Accepted = accepted, Judged = judged,
        });

    public Task<TransactionReceipt> CompleteAsync(byte[] jobId, byte[] settlementId) =>
        SendAsync(new JobEscrowAbi.CompleteFunction { JobId = jobId, SettlementId = settlementId });

    public Task<TransactionReceipt> CancelAsync(byte[] jobId, byte[] settlementId) =>
        SendAsync(new JobEscrowAbi.CancelFunction { JobId = jobId, SettlementId = settlementId });

    public Task<ulong> ReclaimGraceAsync() => QueryAsync<JobEscrowAbi.ReclaimGraceFunction, ulong>(new());
    public Task<TransactionReceipt> ReclaimAsync(byte[] jobId) => SendAsync(new JobEscrowAbi.ReclaimFunction { JobId = jobId });
    public Task<TransactionReceipt> WithdrawAsync(string token) => SendAsync(new JobEscrowAbi.WithdrawFunction { Token = token });
    public Task<TransactionReceipt> PauseAsync() => SendAsync(new SharedAbi.PauseFunction());
    public Task<TransactionReceipt> UnpauseAsync() => SendAsync(new SharedAbi.UnpauseFunction());
    public Task<bool> PausedAsync() => QueryAsync<SharedAbi.PausedFunction, bool>(new());

    public Task<JobEscrowAbi.JobOutput> JobAsync(byte[] jobId) =>
        QueryDtoAsync<JobEscrowAbi.JobsFunction, JobEscrowAbi.JobOutput>(new() { JobId = jobId });

    public Task<bool> SettlementUsedAsync(byte[] settlementId) =>
        QueryAsync<JobEscrowAbi.SettlementUsedFunction, bool>(new() { SettlementId = settlementId });

    public Task<BigInteger> WithdrawableAsync(string account, string token) =>
        QueryAsync<JobEscrowAbi.WithdrawableFunction, BigInteger>(new() { Account = account, Token = token });

    public Task<bool> TokenAllowedAsync(string token) => QueryAsync<JobEscrowAbi.TokenAllowedFunction, bool>(new() { Token = token });

    /// <summary>Every token the escrow ever allowed (see <see cref="TokenAllowedAsync"/> for whether it still is).</summary>
    public Task<List<string>> TokensAsync() => QueryAsync<JobEscrowAbi.TokensFunction, List<string>>(new());

    public JobEscrowService As(IWeb3 other) => new(other, Address);
}

/// <summary>The admin of the settlement contracts (OpenZeppelin's TimelockController): admin calls are scheduled, then executed after the delay.</summary>
public sealed class AdminTimelockService(IWeb3 web3, string address) : ChainContract(web3, address)
{
    /// <summary>Schedules <paramref name="call"/> on <paramref name="target"/>, runnable <paramref name="delay"/> seconds from now (at least the minimum delay).</summary>
    public Task<TransactionReceipt> ScheduleAsync<TFunction>(string target, TFunction call, byte[] salt, BigInteger delay) where TFunction : FunctionMessage, new() =>
        SendAsync(new AdminTimelockAbi.ScheduleFunction { Target = target, Data = call.GetCallData(), Salt = salt, Delay = delay });

    /// <summary>Runs a scheduled call whose delay has passed.</summary>
    public Task<TransactionReceipt> ExecuteAsync<TFunction>(string target, TFunction call, byte[] salt) where TFunction : FunctionMessage, new() =>
        SendAsync(new AdminTimelockAbi.ExecuteFunction { Target = target, Payload = call.GetCallData(), Salt = salt });

    public Task<BigInteger> MinDelayAsync() => QueryAsync<AdminTimelockAbi.GetMinDelayFunction, BigInteger>(new());
}

using System.Numerics;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// A coordinator's connection to its settlement chain, checked at start: the RPC answers, its chain id is the
/// contracts' chain id, each contract has code, and the settlement key holds SETTLEMENT_ROLE. Only the
/// SettlementActor signs with <see cref="Signer"/>; everything else only reads.
/// </summary>
public sealed class ChainRuntime
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private ChainRuntime(ChainSettings settings, Web3 signer, long minimumStakeMicros)
    {
        Settings = settings;
        Signer = signer;
        MinimumStakeMicros = minimumStakeMicros;
        Token = new GensynTokenService(signer, settings.Token);
        Staking = new ProviderStakingService(signer, settings.Staking);
        Escrow = new JobEscrowService(signer, settings.Escrow);
    }

    public ChainSettings Settings { get; }
    public Web3 Signer { get; }
    public GensynTokenService Token { get; }
    public ProviderStakingService Staking { get; }
    public JobEscrowService Escrow { get; }
    public long MinimumStakeMicros { get; }
    public string SettlementAuthority => Signer.TransactionManager.Account.Address;

    public ChainInfo Info => new(Settings.RpcUrl, Settings.ChainId, Settings.Token, Settings.Staking, Settings.Escrow, Settings.IsDevnet,
        MinimumStakeMicros, SettlementAuthority);

    /// <summary>Connects and checks the chain; every problem is a <see cref="ChainSetupException"/> that says what to fix.</summary>
    public static async Task<ChainRuntime> ConnectAsync(ChainSettings settings, string settlementKeyHex, string contractsSource, CancellationToken ct = default)
    {
        var web3 = ChainContract.Connect(settings.RpcUrl, settlementKeyHex, settings.ChainId, receiptPollingMilliseconds: settings.IsDevnet ? 10 : 500);
        BigInteger chainId;
        try
        {
            chainId = (await web3.Eth.ChainId.SendRequestAsync().WaitAsync(ProbeTimeout, ct)).Value;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new ChainSetupException($"cannot reach the chain RPC at {settings.RpcUrl} ({e.GetBaseException().Message}); start the chain or fix --chain-rpc", e);
        }
        if (chainId != settings.ChainId)
            throw new ChainSetupException($"the chain at {settings.RpcUrl} has chain id {chainId}, but {contractsSource} was deployed on chain {settings.ChainId}; " +
                                          "point --chain-rpc at that chain or use this chain's contracts file");
        foreach (var (name, address) in new[] { ("token", settings.Token), ("staking", settings.Staking), ("escrow", settings.Escrow) })
        {
            var code = await web3.Eth.GetCode.SendRequestAsync(address).WaitAsync(ProbeTimeout, ct);
            if (string.IsNullOrEmpty(code) || code == "0x")
                throw new ChainSetupException($"no contract at the {name} address {address} on the chain at {settings.RpcUrl}; deploy contracts-sol there or fix {contractsSource}");
        }
        var runtime = new ChainRuntime(settings, web3, 0);
        var role = await runtime.Escrow.QueryAsync<SharedAbi.SettlementRoleFunction, byte[]>(new());
        foreach (var contract in new ChainContract[] { runtime.Escrow, runtime.Staking })
        {
            if (!await contract.QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = role, Account = runtime.SettlementAuthority }))
                throw new ChainSetupException($"the settlement key {runtime.SettlementAuthority} lacks SETTLEMENT_ROLE on {contract.Address}; " +
                                              "grant it (the contracts' admin can) or give the authority's key with --settlement-key");
        }
        var minimum = await runtime.Staking.MinimumStakeAsync();
        return new ChainRuntime(settings, web3, (long)minimum);
    }

    /// <summary>
    /// Why <paramref name="payer"/>'s deposit for <paramref name="jobId"/> cannot start the job, or null with the deposited amount.
    /// Its deadline must be as far away as <paramref name="deadlines"/> asks of a job quoted to run for <paramref name="quoted"/>, and it
    /// must be in the token the spec names (<paramref name="tokenSymbol"/>, its budget.token), which the escrow must allow.
    /// </summary>
    public async Task<(string? Problem, long DepositedMicros)> CheckDepositAsync(string jobId, string payer, long neededMicros, DeadlineRule deadlines, TimeSpan quoted,
        string tokenSymbol = "GENS")
    {
        var (token, refused) = await EscrowTokens.FindAsync(Escrow, tokenSymbol);
        if (token is null) return (refused, 0);
        var job = await Escrow.JobAsync(EscrowIds.JobKey(jobId));
        if (job.Status == JobEscrowAbi.JobStatus.None)
            return ($"no deposit for {jobId} in the escrow at {Settings.Escrow}; deposit the budget first (gensyn submit does)", 0);
        if (job.Status != JobEscrowAbi.JobStatus.Open)
            return ($"the escrow for {jobId} is {job.Status.ToString().ToLowerInvariant()}; submit under a new job id", 0);
        if (!string.Equals(job.Requester, payer, StringComparison.OrdinalIgnoreCase))
            return ($"the deposit for {jobId} was made by {job.Requester}, not by {payer}", 0);
        if (!string.Equals(job.Token, token, StringComparison.OrdinalIgnoreCase))
            return ($"the deposit for {jobId} is in {await EscrowTokens.SymbolAsync(Escrow, job.Token)} ({job.Token}), but the spec's budget.token is {tokenSymbol}; " +
                    "deposit in the spec's token under a new job id (gensyn submit does)", 0);
        if (job.Deposited < neededMicros)
            return ($"the deposit for {jobId} is {Gens.Format(job.Deposited)} {tokenSymbol}; the spec's budget.max-total needs {Gens.Format(neededMicros)} {tokenSymbol}", 0);
        // The requester may reclaim the escrow after its deadline, and then no round could be paid: leave the job time to run.
        var block = await Signer.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
        var left = TimeSpan.FromSeconds((double)job.Deadline - (double)block.Timestamp.Value);
        if (deadlines.Problem(jobId, left, quoted) is { } tooSoon) return (tooSoon, 0);
        return (null, (long)job.Deposited);
    }

    /// <summary>Null when <paramref name="provider"/> may register (bonded stake >= the minimum), else what to do.</summary>
    public async Task<string?> StakeProblemAsync(string provider)
    {
        var bonded = await Staking.BondedStakeAsync(provider);
        var minimum = System.Numerics.BigInteger.Max(MinimumStakeMicros, 1);
        return bonded >= minimum
            ? null
            : $"provider {provider} has {Gens.Format(bonded)} GENS staked; registering needs {Gens.Format(minimum)} GENS: run `gensyn stake {Gens.Format(minimum - bonded)}`";
    }

    /// <summary>The receipt of <paramref name="txHash"/>, or null while it is not mined (or unknown to the chain).</summary>
    /// <summary>What a slash can take from <paramref name="provider"/>: its bonded and unbonding stake.</summary>
    public async Task<BigInteger> SlashableStakeAsync(string provider) =>
        await Staking.BondedStakeAsync(provider) + await Staking.UnbondingStakeAsync(provider);

    public Task<TransactionReceipt?> ReceiptAsync(string txHash) => Signer.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(txHash)!;

    /// <summary>Whether the chain knows <paramref name="txHash"/> at all (mined or pending).</summary>
    public async Task<bool> KnowsTransactionAsync(string txHash) =>
        await Signer.Eth.Transactions.GetTransactionByHash.SendRequestAsync(txHash) is not null;

    /// <summary>Whether a transaction of the settlement key is sent but not mined yet.</summary>
    public async Task<bool> HasPendingAsync()
    {
        var pending = await Signer.Eth.Transactions.GetTransactionCount.SendRequestAsync(SettlementAuthority, BlockParameter.CreatePending());
        var mined = await Signer.Eth.Transactions.GetTransactionCount.SendRequestAsync(SettlementAuthority, BlockParameter.CreateLatest());
        return pending.Value > mined.Value;
    }

    /// <summary>
    /// The transaction that emitted an event of <paramref name="contract"/> whose second indexed topic is <paramref name="marker"/>
    /// (the settlement id of escrow events, the evidence hash of a slash), or null when there is none.
    /// </summary>
    public async Task<string?> FindByMarkerAsync(string contract, byte[] marker)
    {
        var logs = await Signer.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
        {
            Address = [contract],
            FromBlock = BlockParameter.CreateEarliest(),
            ToBlock = BlockParameter.CreateLatest(),
            Topics = [null, null, EscrowIds.Hex(marker)],
        });
        return logs.FirstOrDefault()?.TransactionHash;
    }

    public static long GasOf(TransactionReceipt receipt) => (long)(receipt.GasUsed ?? new HexBigInteger(0)).Value;
}

using System.CommandLine;
using System.Numerics;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn submit JOB.yaml</c>: validate locally; ask the network for the job's quote (a person at a terminal sees it
/// and confirms, unless --yes); refuse a budget.max-total that cannot cover it; on a network that settles on chain,
/// deposit the job's budget (budget.max-total) in the escrow from the requester's wallet under a fresh job id; send the
/// job to a coordinator; print the job id.
/// </summary>
public static class SubmitCommand
{
    /// <summary>What a devnet wallet created by submit is funded with, in GENS (more when the job deposits more).</summary>
    public const long DevnetFundingGens = 1_000;

    public static Command Create()
    {
        var spec = new Argument<FileInfo>("job") { Description = "Job spec (YAML), e.g. examples/mnist-mlp.yaml" };
        var wait = new Option<bool>("--wait") { Description = "Stay and watch the job until it ends (exit code as for `watch`)" };
        var key = ChainCli.KeyOption(ChainCli.WalletFile, "wallet that deposits the job's budget");
        var noApprove = new Option<bool>("--no-approve") { Description = "Do not approve the escrow for the deposit; rely on an existing allowance" };
        var deadlineHours = new Option<int>("--deadline-hours")
        {
            Description = "Hours until the requester may reclaim what the escrow still holds if the job never settles", DefaultValueFactory = _ => 72,
        };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not show the quote and ask before depositing (never asked when not at a terminal or with --json)" };
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("submit", "Submit a training job to the network, depositing its budget when the network settles on chain")
        {
            spec, wait, key, noApprove, deadlineHours, yes, coordinator, json,
        };
        command.SetAction((parse, cancel) => ChainCli.Run(async () =>
        {
            var file = parse.GetRequiredValue(spec);
            var network = NetworkSpec.Read(file.FullName);
            var parsed = network.Spec;
            var hours = parse.GetValue(deadlineHours);
            if (hours is < 1 or > 24 * 365) throw new CliInputException($"--deadline-hours: must be 1-8760, got {hours}");
            var yaml = network.Yaml;
            var asJson = parse.GetValue(json);
            var (walletPath, walletGiven) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var dataDir = parse.GetRequiredValue(GlobalOptions.DataDir);
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator), walletPath, dataDir);
            (network, var data, var noData) = await SpecDataset.ResolveAsync(network, client, dataDir, asJson);
            if (noData is not null) return ClusterCli.Fail(noData);
            yaml = network.Yaml;
            if (network.Module is { } module && await client.UploadBlob(module.File, module.Hash, createWallet: false) is { } refused) return ClusterCli.Fail(refused);
            var quoted = await client.Ask(new QuoteJob(yaml, ""));
            if (quoted is not JobPrice price) return ClusterCli.Fail(quoted);
            if (!parse.GetValue(yes) && Confirmation.CanAsk(asJson))
            {
                JobQuote.Of(parsed, price, Market.CloudPrices.Shipped).Print(Console.Out);
                if (!Confirmation.Ask(Console.In, Console.Out))
                {
                    Console.Error.WriteLine("not submitted: nothing was deposited");
                    return ExitCodes.Declined;
                }
            }
            var (reply, submit, deposit, noChain) = await SendAsync(client, network, walletPath, walletGiven, hours, !parse.GetValue(noApprove), cancel, price, data);
            if (reply is not JobAccepted accepted)
            {
                if (deposit is not null)
                    Console.Error.WriteLine($"the deposit for {submit.JobId} stays in the escrow; its requester may reclaim it once the escrow's reclaim grace has passed after {deposit.Deadline:yyyy-MM-dd HH:mm} UTC");
                if (noChain is not null)
                    Console.Error.WriteLine($"note: submitted without a deposit because the coordinator named no chain: {noChain.Reason}");
                return ClusterCli.Fail(reply);
            }
            if (!parse.GetValue(wait))
            {
                Console.WriteLine(!asJson ? accepted.JobId
                    : deposit is null ? ClusterCli.JsonOf(new { jobId = accepted.JobId, name = accepted.Name })
                    : ClusterCli.JsonOf(new { jobId = accepted.JobId, name = accepted.Name, deposit = Gens.Format(deposit.Micros), depositTx = deposit.TxHash }));
                if (!asJson) PrintHowToFollow(accepted.Name, accepted.JobId, Console.Error);
                return ExitCodes.Success;
            }
            if (!asJson)
                Console.Error.WriteLine($"submitted {accepted.Name} as {accepted.JobId}; following it until it ends " +
                                        $"(Ctrl-C stops following, not the job: `gensyn watch {accepted.JobId}` again)");
            return await JobWatcher.Watch(client, accepted.JobId, asJson, cancel);
        }));
        return command;
    }

    /// <summary>
    /// What to run to follow a submitted job (on stderr, so that stdout holds only the job id for scripts; never with
    /// --json).
    /// </summary>
    public static void PrintHowToFollow(string name, string jobId, TextWriter o)
    {
        (string Command, string What)[] next =
        [
            ($"gensyn watch {jobId}", "progress until it ends (exit 0 when it completes)"),
            ($"gensyn status {jobId}", "its state, accuracy and money now"),
            ($"gensyn dashboard {jobId}", "its page in the browser: loss chart, shard map, money"),
            ($"gensyn cancel {jobId}", "stop it"),
        ];
        o.WriteLine($"submitted {name} as {jobId}; follow it with:");
        var width = next.Max(n => n.Command.Length);
        foreach (var (command, what) in next) o.WriteLine($"  {command.PadRight(width)}   {what}");
    }

    internal sealed record Deposit(long Micros, string TxHash, DateTimeOffset Deadline);

    /// <summary>
    /// Sends a job to the coordinator; on a network that settles on chain, first deposits its budget from the wallet at
    /// <paramref name="walletPath"/> under a fresh job id (on a devnet a missing default wallet is created and funded),
    /// unless the job's <paramref name="quoted"/> price shows the budget cannot cover it (nothing is deposited then). The files the
    /// job names (an inference job's weights, a TorchScript module) are uploaded just before the job is sent, signed by the same wallet;
    /// a packed dataset (<paramref name="data"/>) before anything is deposited.
    /// </summary>
    internal static async Task<(IGensynMessage Reply, SubmitJob Submit, Deposit? Deposit, NoChain? NoChain)> SendAsync(
        CoordinatorClient client, NetworkSpec network, string walletPath, bool walletGiven, int hours, bool approve, CancellationToken cancel,
        JobPrice? quoted = null, DatasetUpload? data = null)
    {
        var (yaml, parsed) = (network.Yaml, network.Spec);
        const string baseDirectory = "";   // network specs read data from each machine's DATA_DIR/datasets
        if (data is not null && (await data.UploadAsync(client, cancel)).Failure is { } notUploaded)
            return (notUploaded, new SubmitJob(yaml, baseDirectory), null, null);
        Deposit? deposit = null;
        NoChain? noChain = null;
        SubmitJob submit;
        switch (await client.Ask(new GetChainInfo()))
        {
            case ChainInfo info:
            {
                if (quoted is not null && Actors.Market.JobPricing.DepositProblem(parsed, quoted, parsed.DepositMicros) is { } problem)
                    throw new CliInputException(problem);
                if (quoted is not null && Actors.Settlement.DeadlineRule.Default.HoursProblem(hours, Actors.Settlement.DeadlineRule.Duration(Actors.Market.JobPricing.Estimate(parsed, quoted).DurationSeconds)) is { } tooSoon)
                    throw new CliInputException(tooSoon);
                var session = new ChainSession(ChainCli.Settings(info), null);
                var wallet = await WalletAsync(session, walletPath, walletGiven, parsed.DepositMicros, cancel, parsed.Budget.Token);
                var jobId = JobsGateway.NewJobId();
                deposit = await DepositAsync(session, wallet, walletPath, walletGiven, jobId, parsed.DepositMicros, hours, approve, parsed.Budget.Token);
                Console.Error.WriteLine($"deposited {Gens.Format(deposit.Micros)} {parsed.Budget.Token} from {wallet.Address} for {jobId} (transaction {deposit.TxHash})");
                submit = new SubmitJob(yaml, baseDirectory, jobId, wallet.Address, ClaimSigner.Sign(wallet, SubmissionClaim.For(ClaimDomain.Of(info), jobId, yaml)));
                break;
            }
            case NoChain none:
                noChain = none;
                submit = new SubmitJob(yaml, baseDirectory); // the network does not settle on chain: no deposit
                break;
            case var other:
                return (other, new SubmitJob(yaml, baseDirectory), null, null);
        }
        foreach (var (file, hash) in network.Uploads)
            if (await client.UploadBlob(file, hash) is { } refused) return (refused, submit, deposit, noChain);
        return (await client.Ask(submit), submit, deposit, noChain);
    }

    /// <summary>The requester's wallet; on a devnet, one is created and funded when there is none at the default path.</summary>
    private static async Task<WorkerKey> WalletAsync(ChainSession session, string path, bool given, long depositMicros, CancellationToken cancel, string symbol = "GENS")
    {
        if (File.Exists(path) || given || !session.Settings.IsDevnet) return ChainCli.LoadKey(path, defaultWallet: !given);
        var wallet = WorkerKey.LoadOrCreate(path, WalletPassphrase.ToOpen);
        var funding = Math.Max(DevnetFundingGens * Gens.MicrosPerGens, depositMicros);
        await session.Call("funding the new wallet from the devnet faucet", async () =>
        {
            await DevFaucet.FundAsync(session.Settings.RpcUrl, session.Settings.Token, wallet.Address, funding, cancel);
            return true;
        }, "GensynToken");
        Console.Error.WriteLine($"created wallet {wallet.Address} in {path} and funded it with {ChainCli.FormatGens(funding)} from the devnet faucet");
        if (!string.Equals(symbol, "GENS", StringComparison.OrdinalIgnoreCase))
        {
            // A job paid in another token (the devnet's mock USDC) needs that token too; the devnet's owner key mints it the same way.
            var (token, _) = await session.Call("reading the escrow's tokens", () => EscrowTokens.FindAsync(session.Escrow(session.Signer(wallet)), symbol), "JobEscrow");
            if (token is not null)
            {
                await session.Call("funding the new wallet from the devnet faucet", async () =>
                {
                    await DevFaucet.FundAsync(session.Settings.RpcUrl, token, wallet.Address, funding, cancel);
                    return true;
                }, "GensynToken");
                Console.Error.WriteLine($"and with {Gens.Format(funding)} {symbol}");
            }
        }
        return wallet;
    }

    /// <summary>Checks the wallet's funds, approves the escrow (unless told not to) and deposits the job's budget under its id.</summary>
    private static async Task<Deposit> DepositAsync(ChainSession session, WorkerKey wallet, string path, bool given, string jobId, long micros, int hours, bool approve,
        string symbol = "GENS")
    {
        if (micros <= 0)
            throw new CliInputException("budget.max-total is 0, but this network settles on chain and needs a deposit; raise budget.max-total");
        var signer = session.Signer(wallet);
        var escrow = session.Escrow(signer);
        // The job pays in the token its spec names (budget.token), if the escrow allows it.
        var (tokenAddress, refused) = await session.Call("reading the escrow's tokens", () => EscrowTokens.FindAsync(escrow, symbol), "JobEscrow");
        if (tokenAddress is null) throw new CliInputException($"{refused}; nothing was deposited");
        var token = new GensynTokenService(signer, tokenAddress);
        var faucet = ChainCli.FaucetCommand(path, given);
        var balance = await session.GensBalanceAsync(token, wallet.Address);
        if (balance < micros)
            throw new CliInputException($"wallet {wallet.Address} holds {Gens.Format(balance)} {symbol}; this job deposits {Gens.Format(micros)} {symbol} (budget.max-total); " +
                                        $"fund the wallet (on a devnet: {faucet})");
        await session.RequireGasAsync(wallet.Address, faucet);
        if (approve)
        {
            await session.Call("approving the escrow", () => token.ApproveAsync(session.Settings.Escrow, micros), "GensynToken");
        }
        else
        {
            var allowance = await session.AllowanceAsync(token, wallet.Address, session.Settings.Escrow);
            if (allowance < micros)
                throw new CliInputException($"the escrow may spend {ChainCli.FormatGens(allowance)} of wallet {wallet.Address}, the job needs {ChainCli.FormatGens(micros)}; " +
                                            "approve it or drop --no-approve");
        }
        var now = await session.Call("reading the chain's time", () => ChainTimeAsync(signer), "JobEscrow");
        var deadline = now.AddHours(hours);
        var receipt = await session.Call("depositing the job's budget",
            () => escrow.DepositAsync(EscrowIds.JobKey(jobId), tokenAddress, new BigInteger(micros), (ulong)deadline.ToUnixTimeSeconds()), "JobEscrow");
        return new Deposit(micros, receipt.TransactionHash, deadline);
    }

    /// <summary>The latest block's timestamp: the clock the escrow checks deadlines against (a devnet's may run ahead).</summary>
    private static async Task<DateTimeOffset> ChainTimeAsync(Nethereum.Web3.Web3 web3)
    {
        var block = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        return DateTimeOffset.FromUnixTimeSeconds((long)block.Timestamp.Value);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Nethereum.Web3;

namespace Gensyn.Node.Cli;

/// <summary>A chain command's failure: reported in one line (<c>error: …</c>) with its exit code.</summary>
public sealed class ChainCommandException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// What the commands that use the settlement chain share: where the chain is (<c>--chain-rpc</c> and <c>--contracts</c>,
/// else the coordinator's <see cref="ChainInfo"/>), which key signs (<c>--key</c>), amounts as text, and chain
/// failures as one line with the right exit code.
/// </summary>
public static class ChainCli
{
    /// <summary>The requester's wallet, in the data directory.</summary>
    public const string WalletFile = "wallet.key";

    /// <summary>The provider's key (a worker's identity on chain), in the data directory.</summary>
    public const string WorkerKeyFile = "worker.key";

    public static Option<FileInfo?> KeyOption(string defaultFile, string whose) => new("--key")
    {
        Description = $"Key file of the {whose} (default: DATA_DIR/{defaultFile})",
    };

    /// <summary>The key file <paramref name="option"/> names, else DATA_DIR/<paramref name="defaultFile"/>; Given: whether --key was used.</summary>
    public static (string Path, bool Given) KeyPath(ParseResult parse, Option<FileInfo?> option, string defaultFile)
    {
        var given = parse.GetValue(option);
        return given is not null
            ? (given.FullName, true)
            : (Path.GetFullPath(Path.Combine(parse.GetRequiredValue(GlobalOptions.DataDir), defaultFile)), false);
    }

    /// <summary>
    /// Loads a key file; a missing or malformed one is the user's to fix (exit code 2). <paramref name="defaultWallet"/>:
    /// the path is DATA_DIR/wallet.key, which plain `gensyn wallet new` creates.
    /// </summary>
    public static WorkerKey LoadKey(string path, bool defaultWallet)
    {
        if (!File.Exists(path))
            throw new CliInputException(defaultWallet
                ? $"no wallet at {path}; create one with `gensyn wallet new`"
                : $"no key at {path}; create one with `gensyn wallet new --key {path}`");
        try
        {
            return WorkerKey.Load(path, WalletPassphrase.ToOpen);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"cannot use the key in {path}: {e.Message}");
        }
    }

    /// <summary>The faucet command for this key: what to tell a user whose wallet needs funds on a devnet.</summary>
    public static string FaucetCommand(string keyPath, bool given) => given ? $"gensyn wallet faucet --key {keyPath}" : "gensyn wallet faucet";

    /// <summary>"12.5 GENS".</summary>
    public static string FormatGens(BigInteger micros) => $"{Gens.Format(micros)} GENS";

    /// <summary>Wei as ETH with at most 6 decimals ("100", "0.000315").</summary>
    public static string FormatEth(BigInteger wei) =>
        decimal.Round(Web3.Convert.FromWei(wei), 6, MidpointRounding.ToZero).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Parses an AMOUNT of GENS; anything that is not a positive amount with at most 6 decimals is exit code 2.</summary>
    public static long ParseAmount(string text, string what)
    {
        var micros = Gens.TryParse(text);
        if (micros is null) throw new CliInputException($"{what}: '{text}' is not an amount of GENS (for example 100 or 12.5, at most 6 decimals)");
        if (micros == 0) throw new CliInputException($"{what}: must be more than 0");
        return micros.Value;
    }

    /// <summary>Runs a chain command's body, turning a <see cref="ChainCommandException"/> into its line on stderr and exit code.</summary>
    public static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ChainCommandException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
    }

    /// <summary>The chain settings of a coordinator's answer.</summary>
    public static ChainSettings Settings(ChainInfo info) => new(info.RpcUrl, info.ChainId, info.Token, info.Staking, info.Escrow, info.IsDevnet);
}

/// <summary>The options that say which chain a command uses: <c>--chain-rpc URL --contracts FILE</c>, else <c>--coordinator</c>'s.</summary>
public sealed class ChainOptions
{
    public Option<string?> Rpc { get; } = new("--chain-rpc")
    {
        Description = "Use the chain at this JSON-RPC URL directly (with --contracts) instead of asking the coordinator which chain it settles on",
    };

    public Option<FileInfo?> Contracts { get; } = new("--contracts")
    {
        Description = "With --chain-rpc: the contracts file ({\"chainId\", \"token\", \"staking\", \"escrow\"}; a devnet node writes DATA_DIR/chain/contracts.json)",
    };

    public Option<string> Coordinator { get; } = ClusterCli.CoordinatorOption();

    public IEnumerable<Option> All => [Rpc, Contracts, Coordinator];

    /// <summary>Finds the chain: directly when --chain-rpc and --contracts are given (checking the chain id), else by asking the coordinator.</summary>
    public async Task<ChainSession> ConnectAsync(ParseResult parse)
    {
        var rpc = parse.GetValue(Rpc);
        var contracts = parse.GetValue(Contracts);
        if (rpc is null && contracts is null) return await FromCoordinatorAsync(parse.GetRequiredValue(Coordinator));
        if (rpc is null || contracts is null)
            throw new CliInputException("--chain-rpc and --contracts go together: give both to use a chain directly, or neither to ask the coordinator");
        if (!Uri.TryCreate(rpc, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliInputException($"--chain-rpc: '{rpc}' is not an http(s) URL (for example http://127.0.0.1:8545)");
        if (!contracts.Exists) throw new CliInputException($"--contracts: {contracts.FullName}: file not found");
        ChainSettings file;
        try
        {
            file = ChainSettings.LoadContracts(contracts.FullName, rpc);
        }
        catch (ChainSetupException e)
        {
            throw new CliInputException(e.Message);
        }
        var web3 = new Web3(rpc);
        var probe = new ChainSession(file, null);
        var chainId = await probe.Call("reading the chain id", async () => (long)(await web3.Eth.ChainId.SendRequestAsync()).Value);
        if (chainId != file.ChainId)
            throw new CliInputException($"--contracts: {contracts.FullName} is for chain {file.ChainId}, but {rpc} serves chain {chainId}; point --chain-rpc at the right chain");
        var client = await probe.Call("asking the node what it is", () => web3.Client.SendRequestAsync<string>("web3_clientVersion"));
        return new ChainSession(file with { IsDevnet = client.StartsWith("anvil", StringComparison.OrdinalIgnoreCase) }, null);
    }

    private static async Task<ChainSession> FromCoordinatorAsync(string coordinators)
    {
        var client = CoordinatorClient.Connect(coordinators);
        try
        {
            switch (await client.Ask(new GetChainInfo()))
            {
                case ChainInfo info:
                    return new ChainSession(ChainCli.Settings(info), client);
                case NoChain none:
                    throw new ChainCommandException($"{none.Reason}; to use a chain directly, give --chain-rpc URL and --contracts FILE", ExitCodes.InvalidInput);
                case RequestFailed failed:
                    throw new ChainCommandException($"{failed.Message}; to use a chain directly, give --chain-rpc URL and --contracts FILE",
                        failed.InvalidInput ? ExitCodes.InvalidInput : ExitCodes.Failure);
                case var other:
                    throw new ChainCommandException($"the coordinator answered {other.GetType().Name} to GetChainInfo, which this command did not expect", ExitCodes.Failure);
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// One command's use of the chain: its settings, the contracts seen through a key, and <see cref="Call{T}"/>, which
/// turns a failed chain call into a one-line <see cref="ChainCommandException"/>. Disposing it lets go of the
/// coordinator it asked, if any; print the command's output before that.
/// </summary>
public sealed class ChainSession(ChainSettings settings, CoordinatorClient? coordinator) : IAsyncDisposable
{
    public ChainSettings Settings { get; } = settings;

    /// <summary>
    /// A Web3 that signs with <paramref name="key"/> on this chain; it looks for a receipt every 10 ms on a devnet
    /// (which mines each transaction at once), as the node does, and every 100 ms elsewhere.
    /// </summary>
    public Web3 Signer(WorkerKey key) => ChainContract.Connect(Settings.RpcUrl, key.ExportPrivateKeyHex(),
        Settings.ChainId, receiptPollingMilliseconds: Settings.IsDevnet ? 10 : 100);

    public GensynTokenService Token(Web3 signer) => new(signer, Settings.Token);
    public ProviderStakingService Staking(Web3 signer) => new(signer, Settings.Staking);
    public JobEscrowService Escrow(Web3 signer) => new(signer, Settings.Escrow);

    /// <summary>
    /// Runs one chain call; a failure becomes "<paramref name="doing"/>: reason" (see <see cref="RevertReasons"/>), exit
    /// code 2 when the user's input or wallet is at fault (balance, allowance, stake, gas funds), else 1.
    /// <paramref name="contract"/> names the contract called, to attribute errors several contracts declare.
    /// </summary>
    public async Task<T> Call<T>(string doing, Func<Task<T>> call, string? contract = null)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not (CliInputException or ChainCommandException))
        {
            var reason = RevertReasons.Describe(e, contract);
            if (RevertReasons.IsTransient(e))
                throw new ChainCommandException($"{doing}: {reason}; is a chain node running at {Settings.RpcUrl}?", ExitCodes.Failure);
            var name = RevertReasons.CustomErrorName(e);
            var userError = (name is not null && UserErrors.Contains(name)) || reason.Contains("insufficient funds", StringComparison.OrdinalIgnoreCase);
            throw new ChainCommandException($"{doing}: {reason}", userError ? ExitCodes.InvalidInput : ExitCodes.Failure);
        }
    }

    /// <summary>Custom errors that mean the user's input or wallet is at fault (exit code 2), not the network.</summary>
    private static readonly HashSet<string> UserErrors =
    [
        "ERC20InsufficientBalance", "ERC20InsufficientAllowance", "InsufficientBondedStake", "NothingToWithdraw",
        "ZeroAmount", "UnbondingNotReady", "DeadlineInPast",
    ];

    public Task<BigInteger> EthBalanceAsync(string address) =>
        Call("reading the ETH balance", async () => (await new Web3(Settings.RpcUrl).Eth.GetBalance.SendRequestAsync(address)).Value);

    public Task<BigInteger> GensBalanceAsync(GensynTokenService token, string address) =>
        Call("reading the GENS balance", () => token.BalanceOfAsync(address), "GensynToken");

    public Task<BigInteger> AllowanceAsync(GensynTokenService token, string owner, string spender) =>
        Call("reading the allowance", () => token.QueryAsync<GensynTokenAbi.AllowanceFunction, BigInteger>(new() { Owner = owner, Spender = spender }), "GensynToken");

    /// <summary>Fails (exit code 2) unless <paramref name="address"/> holds enough ETH for a few transactions' gas.</summary>
    public async Task RequireGasAsync(string address, string faucetCommand)
    {
        var balance = await EthBalanceAsync(address);
        var price = await Call("reading the gas price", async () => (await new Web3(Settings.RpcUrl).Eth.GasPrice.SendRequestAsync()).Value);
        var needed = price * GasBudget;
        if (balance < needed || balance.IsZero)
            throw new CliInputException($"wallet {address} holds {ChainCli.FormatEth(balance)} ETH, too little for gas (about {ChainCli.FormatEth(needed)} ETH); " +
                                        (Settings.IsDevnet ? $"fund it with `{faucetCommand}`" : "send it some ETH"));
    }

    /// <summary>Gas budgeted for one command's transactions when checking a wallet's ETH.</summary>
    private const long GasBudget = 600_000;

    public async ValueTask DisposeAsync()
    {
        if (coordinator is not null) await coordinator.DisposeAsync();
    }
}

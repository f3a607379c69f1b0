using System.CommandLine;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Signing;
using Nethereum.Contracts;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn wallet new|show|balance|faucet|withdraw</c>: the requester's (or, with <c>--key</c>, any) key on the
/// settlement chain: create it, see its funds, fund it on a devnet, and pull payouts and refunds out of the escrow.
/// </summary>
public static class WalletCommand
{
    /// <summary>What <c>wallet faucet</c> mints when no AMOUNT is given, in GENS.</summary>
    public const long DefaultFaucetGens = 1_000;

    public static Command Create() => new("wallet", "Manage the key that pays for jobs and receives payouts and refunds")
    {
        New(), Encrypt(), Show(), Balance(), Faucet(), Withdraw(),
    };

    private static Option<FileInfo?> Key() => ChainCli.KeyOption(ChainCli.WalletFile, "wallet (a worker's is DATA_DIR/worker.key)");

    private static Command New()
    {
        var key = Key();
        var force = new Option<bool>("--force") { Description = "Replace an existing key (whatever it holds stays with the old key)" };
        var encrypt = new Option<bool>("--encrypt")
        {
            Description = $"Encrypt the key with a passphrase ({WorkerKey.PassphraseVariable}, or asked on a terminal): Web3 Secret Storage JSON",
        };
        var command = new Command("new", "Create a wallet key and print its address") { key, force, encrypt };
        command.SetAction(parse =>
        {
            var (path, _) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            if (File.Exists(path) && !parse.GetValue(force))
                throw new CliInputException($"a wallet already exists at {path}; pass --force to replace it (what it holds stays with the old key)");
            var created = WorkerKey.Generate();
            if (parse.GetValue(encrypt)) created.SaveEncrypted(path, WalletPassphrase.ToCreate(path), overwrite: true);
            else created.Save(path, overwrite: true);
            Console.Error.WriteLine($"created {path}; keep it private: whoever has it can spend what the wallet holds");
            Console.WriteLine(created.Address);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Encrypt()
    {
        var key = Key();
        var command = new Command("encrypt", $"Encrypt an existing wallet key in place with a passphrase ({WorkerKey.PassphraseVariable}, or asked on a terminal)") { key };
        command.SetAction(parse =>
        {
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var wallet = ChainCli.LoadKey(path, defaultWallet: !given);
            if (WorkerKey.IsEncrypted(path)) throw new CliInputException($"{path} is already encrypted");
            wallet.SaveEncrypted(path, WalletPassphrase.ToCreate(path), overwrite: true);
            Console.Error.WriteLine($"encrypted {path}; commands that use it read the passphrase from {WorkerKey.PassphraseVariable} or ask on a terminal");
            Console.WriteLine(wallet.Address);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var key = Key();
        var json = ClusterCli.JsonOption();
        var command = new Command("show", "Print the wallet's address and key file") { key, json };
        command.SetAction(parse =>
        {
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var wallet = ChainCli.LoadKey(path, defaultWallet: !given);
            Console.WriteLine(parse.GetValue(json)
                ? ClusterCli.JsonOf(new { address = wallet.Address, keyFile = path })
                : $"address   {wallet.Address}\nkey file  {path}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Balance()
    {
        var key = Key();
        var json = ClusterCli.JsonOption();
        var chain = new ChainOptions();
        var command = new Command("balance", "Show the wallet's ETH, GENS, escrow credits and provider stake") { key, json };
        foreach (var option in chain.All) command.Add(option);
        command.SetAction((parse, _) => ChainCli.Run(async () =>
        {
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var wallet = ChainCli.LoadKey(path, defaultWallet: !given);
            await using var session = await chain.ConnectAsync(parse);
            var signer = session.Signer(wallet);
            var address = wallet.Address;
            var eth = await session.EthBalanceAsync(address);
            var gens = await session.GensBalanceAsync(session.Token(signer), address);
            var escrow = session.Escrow(signer);
            var withdrawable = await session.Call("reading the escrow", () => escrow.WithdrawableAsync(address, session.Settings.Token), "JobEscrow");
            // Jobs may pay in other tokens the escrow allows (the devnet's mock USDC): their balances and credits too.
            var others = new List<(string Symbol, string Address, System.Numerics.BigInteger Balance, System.Numerics.BigInteger Withdrawable)>();
            foreach (var other in await session.Call("reading the escrow's tokens", escrow.TokensAsync, "JobEscrow"))
            {
                if (string.Equals(other, session.Settings.Token, StringComparison.OrdinalIgnoreCase)) continue;
                var service = new GensynTokenService(signer, other);
                others.Add((await session.Call("reading the token", service.SymbolAsync, "GensynToken"), other,
                    await session.Call("reading the token", () => service.BalanceOfAsync(address), "GensynToken"),
                    await session.Call("reading the escrow", () => escrow.WithdrawableAsync(address, other), "JobEscrow")));
            }
            var staking = session.Staking(signer);
            var bonded = await session.Call("reading the stake", () => staking.BondedStakeAsync(address), "ProviderStaking");
            var unbonding = await session.Call("reading the stake", () => staking.UnbondingStakeAsync(address), "ProviderStaking");
            var release = await session.Call("reading the stake", () => staking.UnbondingReleaseTimeAsync(address), "ProviderStaking");
            var registered = await session.Call("reading the stake", () => staking.IsRegisteredAsync(address), "ProviderStaking");
            DateTimeOffset? releaseAt = unbonding.IsZero ? null : DateTimeOffset.FromUnixTimeSeconds((long)release);
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(new
                {
                    address, chainId = session.Settings.ChainId, eth = ChainCli.FormatEth(eth), gens = Gens.Format(gens),
                    withdrawable = Gens.Format(withdrawable), bondedStake = Gens.Format(bonded), unbondingStake = Gens.Format(unbonding),
                    unbondingReleaseTime = releaseAt, registered,
                    otherTokens = others.Select(o => new { symbol = o.Symbol, address = o.Address, balance = Gens.Format(o.Balance), withdrawable = Gens.Format(o.Withdrawable) }),
                }));
                return ExitCodes.Success;
            }
            Console.WriteLine($"wallet        {address} on chain {session.Settings.ChainId}{(session.Settings.IsDevnet ? " (devnet)" : "")}");
            Console.WriteLine($"ETH           {ChainCli.FormatEth(eth)}");
            Console.WriteLine($"GENS          {Gens.Format(gens)}");
            Console.WriteLine($"withdrawable  {Gens.Format(withdrawable)}{(withdrawable.IsZero ? "" : " (gensyn wallet withdraw pulls it)")}");
            foreach (var o in others)
                Console.WriteLine($"{o.Symbol,-13} {Gens.Format(o.Balance)}{(o.Withdrawable.IsZero ? "" : $", {Gens.Format(o.Withdrawable)} withdrawable (gensyn wallet withdraw pulls it)")}");
            Console.WriteLine($"bonded stake  {Gens.Format(bonded)}{(registered ? " (registered provider)" : "")}");
            if (releaseAt is not null) Console.WriteLine($"unbonding     {Gens.Format(unbonding)} (released {releaseAt:yyyy-MM-dd HH:mm:ss} UTC)");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Faucet()
    {
        var key = Key();
        var amount = new Argument<string?>("amount") { Description = $"GENS to mint (default {DefaultFaucetGens})", Arity = ArgumentArity.ZeroOrOne };
        var chain = new ChainOptions();
        var command = new Command("faucet", "On a devnet only: give the wallet ETH for gas and mint it GENS") { amount, key };
        foreach (var option in chain.All) command.Add(option);
        command.SetAction((parse, cancel) => ChainCli.Run(async () =>
        {
            var text = parse.GetValue(amount);
            var micros = text is null ? DefaultFaucetGens * Gens.MicrosPerGens : ChainCli.ParseAmount(text, "AMOUNT");
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var wallet = ChainCli.LoadKey(path, defaultWallet: !given);
            await using var session = await chain.ConnectAsync(parse);
            if (!session.Settings.IsDevnet)
                throw new CliInputException($"the faucet exists only on a devnet; chain {session.Settings.ChainId} at {session.Settings.RpcUrl} is not one");
            await session.Call("funding from the devnet faucet", async () =>
            {
                await DevFaucet.FundAsync(session.Settings.RpcUrl, session.Settings.Token, wallet.Address, micros, cancel);
                return true;
            }, "GensynToken");
            var gens = await session.GensBalanceAsync(session.Token(session.Signer(wallet)), wallet.Address);
            Console.WriteLine($"minted {ChainCli.FormatGens(micros)} and gave ETH for gas to {wallet.Address}; it holds {ChainCli.FormatGens(gens)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Withdraw()
    {
        var key = Key();
        var chain = new ChainOptions();
        var command = new Command("withdraw", "Pull the wallet's payouts and refunds out of the job escrow") { key };
        foreach (var option in chain.All) command.Add(option);
        command.SetAction((parse, _) => ChainCli.Run(async () =>
        {
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WalletFile);
            var wallet = ChainCli.LoadKey(path, defaultWallet: !given);
            await using var session = await chain.ConnectAsync(parse);
            var escrow = session.Escrow(session.Signer(wallet));
            // Credits are kept per token (a job pays in the token it was deposited in): withdraw each that holds some.
            var tokens = await session.Call("reading the escrow", escrow.TokensAsync, "JobEscrow");
            var credits = new List<(string Token, System.Numerics.BigInteger Amount)>();
            foreach (var token in tokens)
                credits.Add((token, await session.Call("reading the escrow", () => escrow.WithdrawableAsync(wallet.Address, token), "JobEscrow")));
            if (credits.All(c => c.Amount.IsZero))
            {
                Console.WriteLine($"nothing to withdraw: the escrow holds no payouts or refunds for {wallet.Address}");
                return ExitCodes.Success;
            }
            await session.RequireGasAsync(wallet.Address, ChainCli.FaucetCommand(path, given));
            foreach (var (token, _) in credits.Where(c => !c.Amount.IsZero))
            {
                var receipt = await session.Call("withdrawing", () => escrow.WithdrawAsync(token), "JobEscrow");
                var withdrawn = receipt.DecodeAllEvents<JobEscrowAbi.WithdrawnEvent>().Aggregate(System.Numerics.BigInteger.Zero, (sum, e) => sum + e.Event.Amount);
                var symbol = await session.Call("reading the token", () => new GensynTokenService(session.Signer(wallet), token).SymbolAsync(), "GensynToken");
                Console.WriteLine($"withdrew {Gens.Format(withdrawn)} {symbol} to {wallet.Address} (transaction {receipt.TransactionHash})");
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}

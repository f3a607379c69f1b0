using System.CommandLine;
using System.Numerics;
using Gensyn.Contracts.Chain;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn stake AMOUNT</c>: bond a provider's GENS in ProviderStaking (approving the contract first when needed), so
/// that the provider may register; <c>--unbond</c> asks for AMOUNT back instead, released after the unbonding delay.
/// </summary>
public static class StakeCommand
{
    public static Command Create()
    {
        var amount = new Argument<string>("amount") { Description = "GENS to stake (or, with --unbond, to unbond), e.g. 100 or 12.5" };
        var unbond = new Option<bool>("--unbond") { Description = "Request unbonding of AMOUNT instead of staking it" };
        var key = ChainCli.KeyOption(ChainCli.WorkerKeyFile, "provider");
        var chain = new ChainOptions();
        var command = new Command("stake", "Stake a provider's GENS so that it may register (or unbond it)") { amount, unbond, key };
        foreach (var option in chain.All) command.Add(option);
        command.SetAction((parse, _) => ChainCli.Run(async () =>
        {
            var micros = ChainCli.ParseAmount(parse.GetRequiredValue(amount), "AMOUNT");
            var (path, given) = ChainCli.KeyPath(parse, key, ChainCli.WorkerKeyFile);
            var provider = ChainCli.LoadKey(path, defaultWallet: false);
            await using var session = await chain.ConnectAsync(parse);
            var signer = session.Signer(provider);
            var staking = session.Staking(signer);
            var faucet = ChainCli.FaucetCommand(path, given: true);
            if (parse.GetValue(unbond))
            {
                var bondedNow = await session.Call("reading the stake", () => staking.BondedStakeAsync(provider.Address), "ProviderStaking");
                if (bondedNow < micros)
                    throw new CliInputException($"{provider.Address} has {ChainCli.FormatGens(bondedNow)} bonded; it cannot unbond {ChainCli.FormatGens(micros)}");
                await session.RequireGasAsync(provider.Address, faucet);
                var receipt = await session.Call("requesting unbonding", () => staking.RequestUnbondAsync(micros), "ProviderStaking");
                var release = await session.Call("reading the stake", () => staking.UnbondingReleaseTimeAsync(provider.Address), "ProviderStaking");
                Console.Error.WriteLine($"unbond transaction {receipt.TransactionHash}");
                Console.WriteLine($"{provider.Address} unbonds {ChainCli.FormatGens(micros)}, released {DateTimeOffset.FromUnixTimeSeconds((long)release):yyyy-MM-dd HH:mm:ss} UTC");
                return await Report(session, staking, provider.Address);
            }

            var token = session.Token(signer);
            var balance = await session.GensBalanceAsync(token, provider.Address);
            if (balance < micros)
                throw new CliInputException($"{provider.Address} holds {ChainCli.FormatGens(balance)}; staking {ChainCli.FormatGens(micros)} needs more " +
                                            (session.Settings.IsDevnet ? $"(on a devnet: {faucet})" : "(send it GENS)"));
            await session.RequireGasAsync(provider.Address, faucet);
            var allowance = await session.AllowanceAsync(token, provider.Address, session.Settings.Staking);
            if (allowance < micros)
                await session.Call("approving the staking contract", () => token.ApproveAsync(session.Settings.Staking, micros), "GensynToken");
            var staked = await session.Call("staking", () => staking.StakeAsync(micros), "ProviderStaking");
            Console.Error.WriteLine($"stake transaction {staked.TransactionHash}");
            Console.WriteLine($"{provider.Address} staked {ChainCli.FormatGens(micros)}");
            return await Report(session, staking, provider.Address);
        }));
        return command;
    }

    /// <summary>Prints the bonded stake and whether it meets the minimum to register.</summary>
    private static async Task<int> Report(ChainSession session, ProviderStakingService staking, string provider)
    {
        var bonded = await session.Call("reading the stake", () => staking.BondedStakeAsync(provider), "ProviderStaking");
        var minimum = await session.Call("reading the minimum stake", staking.MinimumStakeAsync, "ProviderStaking");
        var registered = await session.Call("reading the registration", () => staking.IsRegisteredAsync(provider), "ProviderStaking");
        Console.WriteLine(registered
            ? $"bonded stake {ChainCli.FormatGens(bonded)}: meets the minimum of {ChainCli.FormatGens(minimum)}, so it may register"
            : $"bonded stake {ChainCli.FormatGens(bonded)}: below the minimum of {ChainCli.FormatGens(minimum)} to register; stake {ChainCli.FormatGens(BigInteger.Max(minimum - bonded, BigInteger.One))} more");
        return ExitCodes.Success;
    }
}

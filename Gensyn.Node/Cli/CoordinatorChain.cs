using Akka.Actor;
using Akka.Configuration;
using Gensyn.Actors;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Serilog;

namespace Gensyn.Node.Cli;

/// <summary>What `gensyn node` was told about its chain: nothing (a devnet, or the cluster's chain when joining), or an RPC, contracts and key.</summary>
internal sealed record ChainChoice(string? Rpc, FileInfo? Contracts, FileInfo? SettlementKey);

/// <summary>
/// The chain a coordinator settles on, opened before the coordinator starts: an existing chain (--chain-rpc, checked: reachable,
/// the contracts' chain id, code at each address, the key's role), the cluster's chain when it joins others with --seed
/// (asked from a seed once up), or else a devnet it runs itself. Problems are input errors (exit 2) with the fix in the message.
/// </summary>
internal sealed class CoordinatorChain : IDisposable
{
    private Devnet? _devnet;
    private bool _joining;
    private string _description = "";

    public ChainLink Link { get; } = new();

    public string Describe() => _description;

    public static async Task<CoordinatorChain> OpenAsync(CoordinatorOptions options, ChainChoice choice, CancellationToken ct)
    {
        var chain = new CoordinatorChain();
        try
        {
            if (choice.Rpc is { } rpc)
            {
                if (choice.Contracts is null) throw new CliInputException("--chain-rpc: give the contracts' addresses on that chain with --contracts FILE");
                var key = SettlementKey(choice)
                          ?? throw new CliInputException("--chain-rpc: give the settlement authority's key with --settlement-key FILE or $GENSYN_SETTLEMENT_KEY");
                var settings = ChainSettings.LoadContracts(choice.Contracts.FullName, rpc);
                chain.Link.Resolve(await ChainRuntime.ConnectAsync(settings, key, choice.Contracts.FullName, ct));
                chain._description = $"chain {settings.ChainId} at {rpc}, escrow {settings.Escrow}";
            }
            else if (choice.Contracts is not null)
            {
                throw new CliInputException("--contracts: give the chain they live on with --chain-rpc URL");
            }
            else if (options.Seeds.Any(seed => seed != $"{options.Host}:{options.Port}"))
            {
                chain._joining = true;
                chain._description = "chain: the cluster's, asked from a seed";
            }
            else
            {
                var minimum = ConfigurationFactory.ParseString(options.ClusterHocon).GetDouble("gensyn.settlement.minimum-stake", 10);
                chain._devnet = await Devnet.EnsureAsync(options.DataDirectory, options.Host, Gens.ToMicros(minimum), ct);
                var settings = chain._devnet.Settings;
                chain.Link.Resolve(await ChainRuntime.ConnectAsync(settings, Devnet.SettlementKey, Path.Combine(options.DataDirectory, "chain", "contracts.json"), ct));
                chain._description = $"devnet {settings.RpcUrl}, escrow {settings.Escrow}";
            }
            return chain;
        }
        catch (ChainSetupException e)
        {
            chain.Dispose();
            throw new CliInputException(e.Message);
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    private static string? SettlementKey(ChainChoice choice)
    {
        if (choice.SettlementKey is { } file)
        {
            try
            {
                return WorkerKey.Load(file.FullName, WalletPassphrase.ToOpen).ExportPrivateKeyHex();
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new CliInputException($"--settlement-key: cannot read a key from {file.FullName}: {e.Message}");
            }
        }
        return Environment.GetEnvironmentVariable("GENSYN_SETTLEMENT_KEY") is { Length: > 0 } hex ? hex : null;
    }

    /// <summary>A coordinator that joined a cluster learns the cluster's chain from a seed (retrying until one answers).</summary>
    public void JoinClusterChain(ActorSystem system, CoordinatorOptions options, ChainChoice choice)
    {
        if (!_joining) return;
        var seeds = options.Seeds.Where(seed => seed != $"{options.Host}:{options.Port}").ToList();
        _ = Task.Run(async () =>
        {
            for (var attempt = 1; ; attempt++)
            {
                foreach (var seed in seeds)
                {
                    try
                    {
                        var reply = await system.ActorSelection(NodeConfig.MemberAddress(seed) + JobsGateway.ServicePath)
                            .Ask<IGensynMessage>(new GetChainInfo(), TimeSpan.FromSeconds(10));
                        if (reply is not ChainInfo info) continue;
                        var key = info.IsDevnet ? Devnet.SettlementKey : SettlementKey(choice);
                        if (key is null)
                        {
                            Link.Fail(new ChainSetupException($"the cluster settles on chain {info.ChainId} at {info.RpcUrl}; restart this coordinator with --settlement-key"));
                            Log.Error("The cluster settles on chain {ChainId} at {Rpc}, and this coordinator has no settlement key: give --settlement-key", info.ChainId, info.RpcUrl);
                            return;
                        }
                        var settings = new ChainSettings(info.RpcUrl, info.ChainId, info.Token, info.Staking, info.Escrow, info.IsDevnet);
                        Link.Resolve(await ChainRuntime.ConnectAsync(settings, key, $"the chain of the cluster at {seed}"));
                        Log.Information("Settling on the cluster's chain {ChainId} at {Rpc} (escrow {Escrow}), learnt from {Seed}", info.ChainId, info.RpcUrl, info.Escrow, seed);
                        return;
                    }
                    catch (Exception e)
                    {
                        if (attempt % 10 == 1) Log.Warning("Could not learn the cluster's chain from {Seed} yet: {Reason}", seed, e.GetBaseException().Message);
                    }
                }
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        });
    }

    public void Dispose() => _devnet?.Dispose();
}

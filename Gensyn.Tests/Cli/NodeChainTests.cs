using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Cli;

/// <summary>`gensyn node` refuses a chain it cannot settle on, at start, with one line that says what to fix.</summary>
public class NodeChainTests
{
    private static (string Contracts, string Key) Files(TempDirectory dir, int chainId, SettlementAddresses? addresses = null)
    {
        var contracts = Path.Combine(dir.Path, "contracts.json");
        var a = addresses ?? new SettlementAddresses(DevChain.DevAddress(2), DevChain.DevAddress(3), DevChain.DevAddress(4), DevChain.DevAddress(5));
        new ChainSettings("unused", chainId, a.Token, a.Staking, a.Escrow, IsDevnet: false).SaveContracts(contracts);
        var key = Path.Combine(dir.Path, "settlement.key");
        WorkerKey.FromPrivateKeyHex(DevChain.DevPrivateKeys[DevChain.SettlementAuthorityAccount]).Save(key);
        return (contracts, key);
    }

    private static GensynProcess.Result Node(TempDirectory dir, params string[] args) =>
        GensynProcess.Run(dir.Path, ["node", "--port", "0", .. args]);

    [Fact]
    public void An_unreachable_chain_rpc_is_a_clear_error_at_start()
    {
        using var dir = new TempDirectory();
        var (contracts, key) = Files(dir, 31337);
        var result = Node(dir, "--chain-rpc", "http://127.0.0.1:1", "--contracts", contracts, "--settlement-key", key);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot reach the chain RPC at http://127.0.0.1:1", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("error:"));
    }

    [Fact]
    public async Task A_chain_with_another_chain_id_than_the_contracts_file_is_a_clear_error_at_start()
    {
        using var chain = await DevChain.StartAsync();
        using var dir = new TempDirectory();
        var (contracts, key) = Files(dir, 5);
        var result = Node(dir, "--chain-rpc", chain.RpcUrl, "--contracts", contracts, "--settlement-key", key);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"has chain id {DevChain.ChainId}, but {contracts} was deployed on chain 5", result.Stderr);
    }

    [Fact]
    public async Task Contracts_that_are_not_deployed_on_the_chain_are_a_clear_error_at_start()
    {
        using var chain = await DevChain.StartAsync();
        using var dir = new TempDirectory();
        var (contracts, key) = Files(dir, DevChain.ChainId);
        var result = Node(dir, "--chain-rpc", chain.RpcUrl, "--contracts", contracts, "--settlement-key", key);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no contract at the token address", result.Stderr);
    }

    [Fact]
    public async Task A_settlement_key_without_the_settlement_role_is_a_clear_error_at_start()
    {
        using var chain = await DevChain.StartAsync();
        var addresses = await chain.DeploySettlementAsync(10_000_000, 60);
        using var dir = new TempDirectory();
        var (contracts, _) = Files(dir, DevChain.ChainId, addresses);
        var stranger = Path.Combine(dir.Path, "stranger.key");
        WorkerKey.Generate().Save(stranger);
        var result = Node(dir, "--chain-rpc", chain.RpcUrl, "--contracts", contracts, "--settlement-key", stranger);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("lacks SETTLEMENT_ROLE", result.Stderr);
    }

    [Fact]
    public void Contracts_without_a_chain_rpc_are_refused()
    {
        using var dir = new TempDirectory();
        var (contracts, _) = Files(dir, 31337);
        var result = Node(dir, "--contracts", contracts);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--chain-rpc", result.Stderr);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Gensyn.Contracts.Chain;

namespace Gensyn.Tests.Chain;

public sealed class DevChainTests
{
    [Fact]
    public async Task A_dev_chain_answers_with_chain_id_31337_exposes_its_funded_keys_and_stops_on_dispose()
    {
        string url;
        using (var chain = await DevChain.StartAsync())
        {
            url = chain.RpcUrl;
            using var chainId = JsonDocument.Parse(await chain.RpcAsync("eth_chainId", "[]"));
            Assert.Equal("0x7a69", chainId.RootElement.GetProperty("result").GetString());
            using var accounts = JsonDocument.Parse(await chain.RpcAsync("eth_accounts", "[]"));
            var expected = accounts.RootElement.GetProperty("result").EnumerateArray().Select(a => a.GetString()!.ToLowerInvariant()).ToList();
            Assert.Equal(expected, Enumerable.Range(0, DevChain.DevPrivateKeys.Count).Select(i => DevChain.DevAddress(i).ToLowerInvariant()).ToList());
            var addresses = await chain.DeploySettlementAsync(1, 60);
            var escrow = new JobEscrowService(chain.Connect(0), addresses.Escrow);
            var role = await escrow.QueryAsync<SharedAbi.SettlementRoleFunction, byte[]>(new());
            Assert.True(await escrow.QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = role, Account = DevChain.DevAddress(DevChain.SettlementAuthorityAccount) }));
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var stopwatch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => http.PostAsync(url, new StringContent("{}")));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), "anvil still answers after Dispose");
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// A throwaway local chain: anvil (installed by contracts-sol/build.sh from npm) on a free loopback
/// port with chain id 31337 and anvil's well-known dev accounts. The process is killed on Dispose.
/// </summary>
public sealed class DevChain : IDisposable
{
    public const int ChainId = 31337;

    /// <summary>Anvil's default dev keys (mnemonic "test test ... junk"), each funded with 10,000 ETH.</summary>
    public static readonly IReadOnlyList<string> DevPrivateKeys =
    [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
        "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
        "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
        "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
        "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ];

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public string RpcUrl { get; }
    public int Port { get; }

    private DevChain(Process process, int port)
    {
        _process = process;
        Port = port;
        RpcUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary>
    /// Finds the anvil binary: $GENSYN_ANVIL, else contracts-sol/node_modules under the first folder
    /// above <see cref="AppContext.BaseDirectory"/> (or the current directory) that has contracts-sol/.
    /// </summary>
    public static string FindAnvil()
    {
        var fromEnv = Environment.GetEnvironmentVariable("GENSYN_ANVIL");
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(fromEnv) ? fromEnv
                : throw new FileNotFoundException($"GENSYN_ANVIL points to {fromEnv}, which does not exist");
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var sol = Path.Combine(dir.FullName, "contracts-sol");
                if (!Directory.Exists(sol)) continue;
                // The native binary, not the node wrapper in .bin/: killing the wrapper could orphan anvil.
                foreach (var candidate in new[]
                         {
                             Path.Combine(sol, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil"),
                             Path.Combine(sol, "node_modules", ".bin", "anvil"),
                         })
                    if (File.Exists(candidate)) return candidate;
                throw new FileNotFoundException(
                    $"anvil is not installed under {sol}/node_modules; run contracts-sol/build.sh (npm install) first");
            }
        }
        throw new FileNotFoundException(
            "anvil not found: no contracts-sol/ folder above the test binaries; run contracts-sol/build.sh or set GENSYN_ANVIL");
    }

    /// <summary>Starts anvil and returns once its RPC endpoint answers.</summary>
    public static async Task<DevChain> StartAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var anvil = FindAnvil();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        Exception? last = null;
        // A free port can be taken between probing and anvil binding it: try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreeLoopbackPort();
            var psi = new ProcessStartInfo(anvil)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--host", "127.0.0.1", "--port", port.ToString(), "--chain-id", ChainId.ToString(), "--accounts", DevPrivateKeys.Count.ToString() })
                psi.ArgumentList.Add(arg);
            var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {anvil}");
            var chain = new DevChain(process, port);
            process.OutputDataReceived += (_, e) => chain.Append(e.Data);
            process.ErrorDataReceived += (_, e) => chain.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await chain.WaitUntilReadyAsync(limit, ct);
                return chain;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                last = e;
                chain.Dispose();
            }
        }
        throw new InvalidOperationException($"anvil did not start: {last?.Message}", last);
    }

    /// <summary>What anvil printed so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
            if (_log.Length < 64_000) _log.AppendLine(line);
    }

    private async Task WaitUntilReadyAsync(TimeSpan limit, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"anvil exited with code {_process.ExitCode}: {Log}");
            try
            {
                using var body = new StringContent(
                    """{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(RpcUrl, body, ct);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"anvil did not answer on {RpcUrl} within {limit.TotalSeconds:0} s: {Log}");
            await Task.Delay(25, ct);
        }
    }

    /// <summary>Moves the chain's clock forward by <paramref name="seconds"/> and mines a block at the new time.</summary>
    public async Task IncreaseTimeAsync(long seconds, CancellationToken ct = default)
    {
        await RpcAsync("evm_increaseTime", $"[{seconds}]", ct);
        await RpcAsync("evm_mine", "[]", ct);
    }

    /// <summary>Sends one raw JSON-RPC request (params as JSON text) and returns the response body; throws on an RPC error.</summary>
    public async Task<string> RpcAsync(string method, string paramsJson, CancellationToken ct = default)
    {
        using var body = new StringContent(
            $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{paramsJson}}}""", Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(RpcUrl, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        if (doc.RootElement.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"{method} failed: {error.GetRawText()}");
        return text;
    }

    /// <summary>The address of dev account <paramref name="index"/>.</summary>
    public static string DevAddress(int index) => new Nethereum.Signer.EthECKey(DevPrivateKeys[index]).GetPublicAddress();

    /// <summary>A Web3 that signs with dev account <paramref name="index"/> (anvil mines at once: receipts are polled every 5 ms).</summary>
    public Nethereum.Web3.Web3 Connect(int index) => ChainContract.Connect(RpcUrl, DevPrivateKeys[index], ChainId, receiptPollingMilliseconds: 5);

    /// <summary>
    /// Deploys the settlement contracts the way a dev node runs them: dev account 0 is the admin and token
    /// owner, dev account 1 the settlement authority, dev account 9 the treasury.
    /// </summary>
    public Task<SettlementAddresses> DeploySettlementAsync(System.Numerics.BigInteger minimumStake, ulong unbondingDelaySeconds, CancellationToken ct = default) =>
        SettlementDeployment.DeployAsync(Connect(AdminAccount), DevAddress(SettlementAuthorityAccount), DevAddress(TreasuryAccount), minimumStake, unbondingDelaySeconds, ct);

    public const int AdminAccount = 0;
    public const int SettlementAuthorityAccount = 1;
    public const int TreasuryAccount = 9;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

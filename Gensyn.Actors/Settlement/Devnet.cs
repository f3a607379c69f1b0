using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json;
using Gensyn.Contracts.Chain;
using Serilog;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// The chain a coordinator runs when it is given none: anvil (from npm, installed by contracts-sol/build.sh) on a free
/// port of the coordinator's --host (loopback by default), advertised as <c>http://HOST:PORT</c>: workers stake on it, so it must be
/// reachable wherever the coordinator's edge is. Its state is kept in DATA_DIR/chain/anvil-state.json (dumped every second and on a clean stop), with the
/// settlement contracts deployed once and their addresses in DATA_DIR/chain/contracts.json. A restarted coordinator
/// reuses all of it: it adopts an anvil that outlived a crash of its predecessor, or starts one from the saved state.
/// Roles: the admin of staking and escrow is a timelock (1 h delay) whose proposer and executor is dev account 0, also the
/// token owner; 1 is the settlement authority, 9 the treasury; accounts 2-8 start
/// with <see cref="DevAccountGens"/> GENS each.
/// </summary>
public sealed class Devnet : IDisposable
{
    public const long DevAccountGens = 1_000_000;

    /// <summary>How long a provider waits between asking to unbond and withdrawing, on the devnet.</summary>
    public const ulong UnbondingDelaySeconds = 3600;

    private readonly int _pid;
    private readonly Process? _process;

    private Devnet(int pid, Process? process, ChainSettings settings)
    {
        _pid = pid;
        _process = process;
        Settings = settings;
    }

    public ChainSettings Settings { get; }

    /// <summary>The settlement authority's key on the devnet (anvil's dev account 1).</summary>
    public static string SettlementKey => DevChain.DevPrivateKeys[DevChain.SettlementAuthorityAccount];

    /// <summary>What DATA_DIR/chain/devnet.json records: anvil's port and pid, and the host it was bound to (null: loopback, before hosts were recorded).</summary>
    private sealed record State(int Port, int Pid, string? Host = null);

    /// <param name="host">The coordinator's --host: anvil binds it as the edge does (an IP, loopback for "localhost", every address for a name).</param>
    public static async Task<Devnet> EnsureAsync(string dataDirectory, string host, long minimumStakeMicros, CancellationToken ct = default)
    {
        var dir = Path.Combine(dataDirectory, "chain");
        Directory.CreateDirectory(dir);
        var stateFile = Path.Combine(dir, "devnet.json");
        var contractsFile = Path.Combine(dir, "contracts.json");
        Devnet? devnet = null;
        if (File.Exists(stateFile) && JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(stateFile, ct)) is { } previous && IsAnvil(previous.Pid))
        {
            if ((previous.Host ?? "127.0.0.1") != host)
            {
                // Bound to another host: stop it (it dumps its state) and start one on this host from that state.
                Log.Information("Devnet: stopping the anvil (pid {Pid}) left running on {Host}, to serve on {NewHost}", previous.Pid, previous.Host ?? "127.0.0.1", host);
                new Devnet(previous.Pid, null, Recorded(host, previous.Port, contractsFile)).Dispose();
            }
            else if (await Answers(Url(host, previous.Port), ct))
            {
                Log.Information("Devnet: adopting the anvil (pid {Pid}) left running on {Url}", previous.Pid, Url(host, previous.Port));
                devnet = new Devnet(previous.Pid, null, Recorded(host, previous.Port, contractsFile));
            }
        }
        devnet ??= await StartAsync(dir, host, ct);
        await File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new State(Port(devnet.Settings.RpcUrl), devnet._pid, host)), ct);
        try
        {
            return await devnet.ProvisionAsync(contractsFile, minimumStakeMicros, ct);
        }
        catch
        {
            devnet.Dispose();
            throw;
        }
    }

    /// <summary>The RPC URL workers and clients are given: the coordinator's host (an IPv6 address in brackets).</summary>
    private static string Url(string host, int port) =>
        IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"http://[{ip}]:{port}" : $"http://{host}:{port}";

    /// <summary>The address anvil listens on for <paramref name="host"/>, as the edge chooses its own.</summary>
    private static string BindAddress(string host) =>
        host is "localhost" ? "127.0.0.1" : IPAddress.TryParse(host, out var ip) ? ip.ToString() : "0.0.0.0";

    private static int Port(string url) => new Uri(url).Port;

    private static ChainSettings Recorded(string host, int port, string contractsFile) =>
        File.Exists(contractsFile)
            ? ChainSettings.LoadContracts(contractsFile, Url(host, port), isDevnet: true)
            : new ChainSettings(Url(host, port), DevChain.ChainId, "", "", "", IsDevnet: true);

    private static async Task<Devnet> StartAsync(string dir, string host, CancellationToken ct)
    {
        var anvil = DevChain.FindAnvil();
        for (var attempt = 0; ; attempt++)
        {
            var port = DevChain.FreeLoopbackPort();
            var psi = new ProcessStartInfo(anvil) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[]
                     {
                         "--host", BindAddress(host), "--port", port.ToString(), "--chain-id", DevChain.ChainId.ToString(),
                         "--accounts", DevChain.DevPrivateKeys.Count.ToString(), "--state", Path.Combine(dir, "anvil-state.json"), "--state-interval", "1",
                     })
                psi.ArgumentList.Add(arg);
            var process = Process.Start(psi) ?? throw new ChainSetupException($"could not start {anvil}");
            var log = new StreamWriter(Path.Combine(dir, "anvil.log"), append: true) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                if (await Answers(Url(host, port), ct))
                {
                    Log.Information("Devnet: anvil (pid {Pid}) on {Url}, state in {Dir}", process.Id, Url(host, port), dir);
                    return new Devnet(process.Id, process, Recorded(host, port, Path.Combine(dir, "contracts.json")));
                }
                await Task.Delay(50, ct);
            }
            if (!process.HasExited) process.Kill();
            if (attempt == 2)
                throw new ChainSetupException($"anvil did not start on a port of {BindAddress(host)} (see {Path.Combine(dir, "anvil.log")}); is contracts-sol/build.sh's npm install complete?");
        }
    }

    /// <summary>Deploys the contracts unless the recorded ones are there, and funds the dev accounts.</summary>
    private async Task<Devnet> ProvisionAsync(string contractsFile, long minimumStakeMicros, CancellationToken ct)
    {
        var admin = ChainContract.Connect(Settings.RpcUrl, DevChain.DevPrivateKeys[DevChain.AdminAccount], DevChain.ChainId, receiptPollingMilliseconds: 10);
        // Contracts deployed from other sources (an older build) would not speak this build's ABI: deploy again then.
        var fingerprintFile = Path.ChangeExtension(contractsFile, ".version");
        var sameBuild = File.Exists(fingerprintFile) && (await File.ReadAllTextAsync(fingerprintFile, ct)).Trim() == ContractArtifacts.Fingerprint;
        if (sameBuild && Settings.Token.Length > 0 && await HasCode(admin, Settings.Token) && await HasCode(admin, Settings.Staking) && await HasCode(admin, Settings.Escrow))
        {
            Log.Information("Devnet: reusing the contracts in {File}", contractsFile);
            return this;
        }
        var addresses = await SettlementDeployment.DeployAsync(admin, DevChain.DevAddress(DevChain.SettlementAuthorityAccount),
            DevChain.DevAddress(DevChain.TreasuryAccount), minimumStakeMicros, UnbondingDelaySeconds, ct);
        var token = new GensynTokenService(admin, addresses.Token);
        var usdc = new GensynTokenService(admin, addresses.Usdc);
        for (var account = 2; account <= 8; account++)
        {
            await token.MintAsync(DevChain.DevAddress(account), new BigInteger(DevAccountGens) * Gens.MicrosPerGens);
            await usdc.MintAsync(DevChain.DevAddress(account), new BigInteger(DevAccountGens) * Gens.MicrosPerGens);
        }
        var settings = new ChainSettings(Settings.RpcUrl, DevChain.ChainId, addresses.Token, addresses.Staking, addresses.Escrow, IsDevnet: true);
        settings.SaveContracts(contractsFile);
        await File.WriteAllTextAsync(fingerprintFile, ContractArtifacts.Fingerprint, ct);
        Log.Information("Devnet: deployed token {Token}, staking {Staking}, escrow {Escrow}, admin timelock {Timelock}, mock USDC {Usdc} (recorded in {File})",
            addresses.Token, addresses.Staking, addresses.Escrow, addresses.Timelock, addresses.Usdc, contractsFile);
        return new Devnet(_pid, _process, settings);
    }

    private static async Task<bool> HasCode(Nethereum.Web3.IWeb3 web3, string address) =>
        await web3.Eth.GetCode.SendRequestAsync(address) is { Length: > 2 };

    private static async Task<bool> Answers(string url, CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            using var body = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(url, body, ct);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(ct)).Contains("0x7a69");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static bool IsAnvil(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && process.ProcessName.StartsWith("anvil", StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Stops anvil with SIGTERM so that it dumps its state (SIGKILL after 5 s).</summary>
    public void Dispose()
    {
        try
        {
            using var process = _process ?? Process.GetProcessById(_pid);
            // An adopted pid is checked again: it could have been reused by another program since.
            if (process.HasExited || (_process is null && !IsAnvil(_pid))) return;
            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _pid.ToString()]) { UseShellExecute = false })) kill?.WaitForExit(2_000);
            if (!process.WaitForExit(5_000)) process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}

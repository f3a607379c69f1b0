using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gensyn.Actors;
using Serilog;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn node</c>: run a coordinator until interrupted.</summary>
public static class NodeCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port", "-p")
        {
            Description = "The edge: the port workers and the CLI connect to (gRPC over TLS; default: $GENSYN_PORT, else 4053; 0 picks a free one)",
        };
        var clusterPort = new Option<int?>("--cluster-port")
        {
            Description = "Port for the other coordinators and verifier nodes only (Akka.Remote over mutual TLS on the cluster certificate; default: $GENSYN_CLUSTER_PORT, else --port + 1)",
        };
        var host = new Option<string>("--host") { Description = "Address to bind and advertise", DefaultValueFactory = _ => "127.0.0.1" };
        var seeds = new Option<string?>("--seed") { Description = "Coordinator(s) to join, by their cluster ports: HOST:CLUSTER_PORT[,...] (default: $GENSYN_SEEDS, else form a new cluster)" };
        var tlsCert = new Option<FileInfo?>("--tls-cert")
        {
            Description = "The edge's TLS certificate and key (PKCS#12; password in $GENSYN_TLS_CERT_PASSWORD). Default: one made on first start in DATA_DIR/tls/edge.pfx, which clients pin on first use",
        };
        var db = new Option<string?>("--db") { Description = "Journal: a PostgreSQL connection string (Host=...;Username=...) or a SQLite file (default: $GENSYN_DB, else DATA_DIR/journal.db)" };
        var config = new Option<FileInfo?>("--config") { Description = "Cluster configuration (HOCON; default: the cluster.hocon shipped beside the executable)" };
        var role = new Option<string>("--role")
        {
            Description = "coordinator (jobs, scheduling, journal, blobs, verifiers) or verifier (only replays challenged steps for the coordinators it joins with --seed)",
            DefaultValueFactory = _ => "coordinator",
        };
        role.AcceptOnlyFromAmong("coordinator", "verifier");
        var chainRpc = new Option<string?>("--chain-rpc")
        {
            Description = "Settle jobs on this chain (JSON-RPC URL; needs --contracts and --settlement-key). Default: run a local devnet (anvil) " +
                          "with the contracts in DATA_DIR/chain, or, when joining a cluster with --seed, use that cluster's chain",
        };
        var contracts = new Option<FileInfo?>("--contracts")
        {
            Description = "Where the contracts live on --chain-rpc's chain: JSON {\"chainId\", \"token\", \"staking\", \"escrow\"} (a devnet writes DATA_DIR/chain/contracts.json)",
        };
        var settlementKey = new Option<FileInfo?>("--settlement-key")
        {
            Description = "Key file of the settlement authority (holds SETTLEMENT_ROLE on the escrow and staking contracts); default: $GENSYN_SETTLEMENT_KEY (hex)",
        };
        var clusterCert = new Option<FileInfo?>("--cluster-cert")
        {
            Description = "The certificate this node presents to the other cluster members (PKCS#12 with its key, no password). " +
                          "Joining a cluster: a copy of the first coordinator's DATA_DIR/tls/cluster.pfx. Default: DATA_DIR/tls/cluster.pfx, " +
                          "created by a node that forms a new cluster",
        };
        var clusterCa = new Option<FileInfo?>("--cluster-ca")
        {
            Description = "Accept cluster members whose certificate chains to this CA (PEM or DER) instead of only the one cluster " +
                          "certificate; each member then presents its own certificate, signed by the CA, with --cluster-cert",
        };
        var command = new Command("node", "Run a coordinator (jobs, scheduling, journal, blob store and settlement; workers and the CLI connect to it) or a verifier node")
        {
            port, clusterPort, host, seeds, db, config, role, chainRpc, contracts, settlementKey, tlsCert, clusterCert, clusterCa,
        };
        command.SetAction((parse, cancel) =>
        {
            var edgePort = parse.GetValue(port) ?? (int.TryParse(Environment.GetEnvironmentVariable("GENSYN_PORT"), out var p) ? p : 4053);
            var options = Options(parse.GetValue(clusterPort) ?? (int.TryParse(Environment.GetEnvironmentVariable("GENSYN_CLUSTER_PORT"), out var c) ? c : edgePort == 0 ? 0 : edgePort + 1),
                parse.GetRequiredValue(host), parse.GetValue(seeds), parse.GetValue(db), parse.GetValue(config),
                parse.GetRequiredValue(GlobalOptions.DataDir)) with
            {
                Role = parse.GetRequiredValue(role),
                ClusterCertificate = parse.GetValue(clusterCert)?.FullName,
                ClusterCa = parse.GetValue(clusterCa)?.FullName,
            };
            if (edgePort is < 0 or > 65535) throw new CliInputException($"--port: must be 0-65535, got {edgePort}");
            if (edgePort != 0 && edgePort == options.Port) throw new CliInputException($"--port and --cluster-port must differ, both are {edgePort}");
            if (edgePort != 0) EnsurePortFree(options.Host, edgePort, "--port");
            var edge = new Gensyn.Edge.EdgeOptions(options.Host, edgePort, options.DataDirectory, parse.GetValue(tlsCert)?.FullName,
                Market.DashboardQuotes.Report);
            if (options.Role == CoordinatorNode.VerifierRole && options.Seeds.Count == 0)
                throw new CliInputException("--role verifier: give the coordinator(s) to join with --seed HOST:PORT (start the first coordinator with --seed pointing at itself)");
            var chain = new ChainChoice(parse.GetValue(chainRpc), parse.GetValue(contracts), parse.GetValue(settlementKey));
            return Run(options, edge, chain, cancel);
        });
        return command;
    }

    /// <summary>The coordinator's cluster settings; <paramref name="port"/> is its cluster port.</summary>
    internal static CoordinatorOptions Options(int port, string host, string? seeds, string? db, FileInfo? config, string dataDir)
    {
        var chosenPort = port;
        if (chosenPort is < 0 or > 65535) throw new CliInputException($"--cluster-port: must be 0-65535, got {chosenPort}");
        var seedText = seeds ?? Environment.GetEnvironmentVariable("GENSYN_SEEDS");
        var seedList = string.IsNullOrWhiteSpace(seedText) ? [] : ClusterCli.ParseEndpoints(seedText, "--seed");
        var dbText = db ?? Environment.GetEnvironmentVariable("GENSYN_DB");
        var journal = string.IsNullOrWhiteSpace(dbText) ? JournalOptions.Sqlite(Path.Combine(dataDir, "journal.db")) : JournalOptions.Parse(dbText);
        var configPath = config?.FullName ?? Path.Combine(AppContext.BaseDirectory, "cluster.hocon");
        if (!File.Exists(configPath)) throw new CliInputException($"--config: {configPath} not found");
        if (chosenPort != 0) EnsurePortFree(host, chosenPort, "--cluster-port");
        return RehearsedFaults.Coordinator(new CoordinatorOptions(host, chosenPort, seedList, dataDir, journal, File.ReadAllText(configPath)));
    }

    private static void EnsurePortFree(string host, int port, string option)
    {
        try
        {
            var listener = new TcpListener(IPAddress.TryParse(host, out var ip) ? ip : IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException e)
        {
            throw new CliInputException($"{option}: cannot listen on {host}:{port} ({e.SocketErrorCode}); is another node running there? Pick another port with {option}");
        }
    }

    private static async Task<int> Run(CoordinatorOptions options, Gensyn.Edge.EdgeOptions edgeOptions, ChainChoice chainChoice, CancellationToken cancel)
    {
        ReadyFile.Clear(options.DataDirectory);
        if (options.Role == CoordinatorNode.VerifierRole)
        {
            await using var verifier = CoordinatorNode.Start(options);
            await verifier.WhenUp().WaitAsync(TimeSpan.FromSeconds(60), cancel);
            Console.WriteLine($"verifier up at {verifier.Address}, joined {string.Join(", ", options.Seeds)} (data {options.DataDirectory}, cluster certificate {verifier.Certificate.File}); Ctrl+C stops it");
            ReadyFile.Write(options.DataDirectory, options.Role, $"{verifier.Address}");
            await WaitForStop(cancel);
            return ExitCodes.Success;
        }
        using var chain = await CoordinatorChain.OpenAsync(options, chainChoice, cancel);
        await using var node = CoordinatorNode.Start(options with { Chain = chain.Link });
        await node.WhenUp().WaitAsync(TimeSpan.FromSeconds(60), cancel);
        chain.JoinClusterChain(node.System, options, chainChoice);
        await using var edge = await Gensyn.Edge.EdgeServer.StartAsync(node, edgeOptions, new Serilog.Extensions.Logging.SerilogLoggerProvider());
        Log.Information("Journal: {Journal}", options.Journal.Describe());
        var joinWith = options.ClusterCa is null ? "others join with a copy of it as --cluster-cert" : $"members' certificates chain to {options.ClusterCa}";
        Console.WriteLine($"coordinator up at {options.Host}:{edge.Port} (edge certificate sha256 {edge.Fingerprint}; cluster port {node.Address}, " +
                          $"cluster certificate {node.Certificate.File}: {joinWith}; data {options.DataDirectory}, journal {options.Journal.Describe()}, {chain.Describe()}); Ctrl+C stops it");
        ReadyFile.Write(options.DataDirectory, options.Role, $"{options.Host}:{edge.Port}");
        await WaitForStop(cancel);
        Console.WriteLine("coordinator stopping");
        return ExitCodes.Success;
    }

    /// <summary>Completes on Ctrl+C or SIGTERM.</summary>
    internal static async Task WaitForStop(CancellationToken cancel)
    {
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var registration = cancel.Register(() => stop.TrySetResult());
        await stop.Task;
    }
}

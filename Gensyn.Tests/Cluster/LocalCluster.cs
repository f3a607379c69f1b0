using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Signing;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// Real `gensyn node` and `gensyn worker` processes on loopback for end-to-end tests, each with its own
/// data directory (sharing the fetched datasets) and log file, all killed on dispose.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly List<(string Name, Process Process)> _processes = [];
    private readonly LocalProcesses _spawner = new();
    private readonly Dictionary<string, (int Port, string? Seeds, string? Db, string Host, Process Process)> _coordinators = [];

    /// <summary>Each coordinator's cluster port, by its edge port (seeds name cluster ports; tests name coordinators by their edges).</summary>
    private readonly Dictionary<int, int> _clusterPorts = [];

    private int ClusterPortOf(int edgePort) => _clusterPorts.TryGetValue(edgePort, out var port) ? port : _clusterPorts[edgePort] = FreePort();

    /// <summary>Seeds given as edge addresses, as the cluster addresses the coordinators join.</summary>
    private string ClusterSeeds(string seeds) => string.Join(",", seeds.Split(',').Select(s =>
    {
        var colon = s.LastIndexOf(':');
        return $"{s[..colon]}:{ClusterPortOf(int.Parse(s[(colon + 1)..]))}";
    }));

    public string Root => _root.Path;

    /// <summary>The coordinator(s) the CLI and workers use, HOST:PORT[,...].</summary>
    public string Coordinators { get; private set; } = "";

    /// <summary>A coordinator and <paramref name="workers"/> workers, ready (workers registered).</summary>
    public static LocalCluster Start(int workers = 2, string? db = null)
    {
        var cluster = new LocalCluster();
        var port = FreePort();
        cluster.StartCoordinator("coordinator", port, db: db);
        for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}");
        cluster.WaitForWorkers(workers);
        return cluster;
    }

    public static int FreePort() => LocalProcesses.FreePort();

    public string DataDir(string name)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, "datasets");
        var shared = Path.Combine(GensynProcess.DataDirectory, "datasets");
        Directory.CreateDirectory(shared);
        if (!Path.Exists(link)) Directory.CreateSymbolicLink(link, shared);
        return dir;
    }

    public string LogOf(string name) => File.Exists(LogPath(name)) ? File.ReadAllText(LogPath(name)) : "";

    /// <summary>The first coordinator started here, which creates the cluster certificate the others are given.</summary>
    private string? _firstCoordinator;

    /// <summary>The cluster certificate (the first coordinator's DATA_DIR/tls/cluster.pfx) that joining nodes get as --cluster-cert.</summary>
    public string ClusterCertificateFile => Path.Combine(DataDir(_firstCoordinator ?? "coordinator"), "tls", "cluster.pfx");

    /// <summary>
    /// Starts a coordinator (bound to <paramref name="host"/>) and waits until it says it is up; one that joins others (<paramref name="seeds"/>)
    /// gets the cluster certificate.
    /// </summary>
    public Process StartCoordinator(string name, int port, string? seeds = null, string? db = null, string host = "127.0.0.1")
    {
        var args = new List<string> { "node", "--port", $"{port}", "--cluster-port", $"{ClusterPortOf(port)}", "--data-dir", DataDir(name), "--log-level", "information" };
        _firstCoordinator ??= name;
        if (host != "127.0.0.1") args.AddRange(["--host", host]);
        if (seeds is not null) args.AddRange(["--seed", ClusterSeeds(seeds)]);
        if (seeds is not null && name != _firstCoordinator) args.AddRange(["--cluster-cert", ClusterCertificateFile]);
        if (db is not null) args.AddRange(["--db", db]);
        var logged = LogOf(name).Length;  // a restarted coordinator appends to the same log: wait for its own line
        var process = Spawn(name, args, CoordinatorEnvironment);
        _coordinators[name] = (port, seeds, db, host, process);
        var address = $"{host}:{port}";
        if (!Coordinators.Split(',').Contains(address)) Coordinators = Coordinators.Length == 0 ? address : Coordinators + "," + address;
        WaitFor(() => LogOf(name).IndexOf("coordinator up at", Math.Min(logged, LogOf(name).Length), StringComparison.Ordinal) >= 0,
            TimeSpan.FromSeconds(60), $"coordinator {name} to start", process);
        return process;
    }

    /// <summary>Starts a verifier node (<c>node --role verifier</c>) that joins <paramref name="seeds"/>, and waits until it is up.</summary>
    public Process StartVerifier(string name, string seeds)
    {
        var process = Spawn(name, ["node", "--role", "verifier", "--port", $"{FreePort()}", "--cluster-port", $"{FreePort()}", "--seed", ClusterSeeds(seeds),
            "--cluster-cert", ClusterCertificateFile, "--data-dir", DataDir(name), "--log-level", "information"],
            CoordinatorEnvironment);
        WaitFor(() => LogOf(name).Contains("verifier up at"), TimeSpan.FromSeconds(60), $"verifier {name} to start", process);
        return process;
    }

    /// <summary>Environment variables every coordinator started from now on gets (e.g. GENSYN_SHARD_STALL_SECONDS).</summary>
    public Dictionary<string, string> CoordinatorEnvironment { get; } = [];

    /// <summary>The process of the coordinator started last under <paramref name="name"/>.</summary>
    public Process CoordinatorProcess(string name = "coordinator") => _coordinators[name].Process;

    /// <summary>
    /// Kills coordinator <paramref name="name"/> (SIGKILL, no graceful shutdown) and starts a new process with the same
    /// port, seeds, data directory and journal; returns once it says it is up.
    /// </summary>
    public Process RestartCoordinator(string name = "coordinator")
    {
        var (port, seeds, db, host, old) = _coordinators[name];
        if (!old.HasExited) Kill(old);
        WaitFor(() => PortFree(port) && PortFree(ClusterPortOf(port)), TimeSpan.FromSeconds(30), $"ports {port} and {ClusterPortOf(port)} to be released by the killed coordinator {name}", null);
        return StartCoordinator(name, port, seeds, db, host);
    }

    /// <summary>Stops coordinator <paramref name="name"/> the way Ctrl+C or a service manager does (SIGTERM), and waits for it to exit.</summary>
    public void StopCoordinator(string name = "coordinator")
    {
        var (port, _, _, _, process) = _coordinators[name];
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) term.WaitForExit();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30))) throw new TimeoutException($"coordinator {name} did not stop within 30 s of SIGTERM\n{Logs()}");
        WaitFor(() => PortFree(port) && PortFree(ClusterPortOf(port)), TimeSpan.FromSeconds(30), $"ports {port} and {ClusterPortOf(port)} to be released by the stopped coordinator {name}", null);
    }

    /// <summary>Starts coordinator <paramref name="name"/> again with its port, seeds, journal and data directory.</summary>
    public Process StartAgain(string name = "coordinator")
    {
        var (port, seeds, db, host, _) = _coordinators[name];
        return StartCoordinator(name, port, seeds, db, host);
    }

    private static bool PortFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <param name="launcher">A command that runs the worker in its place (e.g. <c>ip netns exec NAME</c>), or null.</param>
    public Process StartWorker(string name, string? coordinators = null, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        var process = Spawn(name, ["worker", "--coordinator", coordinators ?? Coordinators, "--id", name, "--data-dir", DataDir(name), "--log-level", "information"], environment, launcher);
        _workers[name] = process;
        return process;
    }

    /// <summary>The process of the worker started last under <paramref name="name"/>.</summary>
    public Process WorkerProcess(string name) => _workers[name];

    private readonly Dictionary<string, Process> _workers = [];

    public void WaitForWorkers(int count) =>
        WaitFor(() => Cli("workers", "--json") is { ExitCode: 0 } r && r.Stdout.Split("\"workerId\"").Length - 1 >= count,
            TimeSpan.FromSeconds(60), $"{count} worker(s) to register", null);

    /// <summary>Writes <paramref name="yaml"/> to a spec file, submits it with the CLI (which deposits its budget) and returns the job id.</summary>
    public string Submit(string yaml)
    {
        var spec = Path.Combine(Root, "job.yaml");
        File.WriteAllText(spec, yaml);
        var submitted = Cli("submit", spec, "--json");
        Xunit.Assert.True(submitted.ExitCode == 0, submitted.Stderr + Logs());
        return JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
    }

    /// <summary>A client of this cluster's edges that signs as the CLI's wallet (the one <see cref="Cli"/> submits with).</summary>
    public CoordinatorClient Client() => CoordinatorClient.Connect(Coordinators, dataDirectory: DataDir("cli"));

    /// <summary>Runs a CLI command against this cluster's coordinators.</summary>
    public GensynProcess.Result Cli(params string[] args) =>
        GensynProcess.Run(DataDir("cli"), [.. args, "--coordinator", Coordinators]);

    public void Kill(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    /// <summary>Everything the processes logged, for assertion messages.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"===== {p.Name} =====\n{Tail(LogOf(p.Name))}"));

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    public string LogPath(string name) => Path.Combine(Root, name + ".log");

    private Process Spawn(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        var variables = new Dictionary<string, string> { ["GENSYN_SERIALIZE_MESSAGES"] = "1" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) variables[k] = v;
        var process = _spawner.Start(args, LogPath(name), variables, Path.Combine(AppContext.BaseDirectory, "gensyn.dll"), launcher);
        _processes.Add((name, process));
        return process;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with every node's log after <paramref name="limit"/>.</summary>
    public void AwaitCondition(Func<bool> condition, TimeSpan limit, string what) => WaitFor(condition, limit, what, null);

    /// <summary>Polls <paramref name="probe"/> until it yields a value, failing with every node's log after <paramref name="limit"/>.</summary>
    public async Task<T> AwaitConditionAsync<T>(Func<Task<T?>> probe, TimeSpan limit, string what) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (clock.Elapsed > limit) throw new TimeoutException($"gave up waiting for {what} after {limit.TotalSeconds} s\n{Logs()}");
            await Task.Delay(100);
        }
    }

    private void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Process? process)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process is { HasExited: true }) throw new InvalidOperationException($"gave up waiting for {what}: the process exited with {process.ExitCode}\n{Logs()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"gave up waiting for {what} after {timeout.TotalSeconds} s\n{Logs()}");
            Thread.Sleep(200);
        }
    }

    /// <summary>The devnet coordinator <paramref name="name"/> runs (its contracts and RPC, from its data directory).</summary>
    public ChainSettings Chain(string name = "coordinator")
    {
        var dir = Path.Combine(DataDir(name), "chain");
        using var devnet = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "devnet.json")));
        var host = devnet.RootElement.TryGetProperty("Host", out var h) && h.GetString() is { } recorded ? recorded : "127.0.0.1";
        return ChainSettings.LoadContracts(Path.Combine(dir, "contracts.json"), $"http://{host}:{devnet.RootElement.GetProperty("Port").GetInt32()}", isDevnet: true);
    }

    /// <summary>The Ethereum address of a node's key (a worker's DATA_DIR/worker.key, a requester's DATA_DIR/wallet.key).</summary>
    public string AddressOf(string name, string keyFile = "worker.key") => WorkerKey.Load(Path.Combine(DataDir(name), keyFile)).Address;

    public void Dispose()
    {
        _spawner.Dispose();
        // A devnet outlives a coordinator killed with SIGKILL (a restarted one adopts it): stop what is left.
        foreach (var devnet in Directory.Exists(Root) ? Directory.GetFiles(Root, "devnet.json", SearchOption.AllDirectories) : [])
        {
            try
            {
                using var state = JsonDocument.Parse(File.ReadAllText(devnet));
                using var anvil = Process.GetProcessById(state.RootElement.GetProperty("Pid").GetInt32());
                if (anvil.ProcessName.StartsWith("anvil", StringComparison.Ordinal)) anvil.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or JsonException or KeyNotFoundException)
            {
                // Already gone.
            }
        }
        // GENSYN_KEEP_TEST_DIRS=1 keeps the nodes' logs and data for a look after a failure.
        if (Environment.GetEnvironmentVariable("GENSYN_KEEP_TEST_DIRS") != "1") _root.Dispose();
        else Console.Error.WriteLine($"kept {Root}");
    }
}

using System.Diagnostics;
using System.Text.Json;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;

namespace Gensyn.Node.Local;

/// <summary>
/// A network of real `gensyn node` and `gensyn worker` processes on this machine, each with its own data directory
/// and log file, all stopped on dispose: what <c>gensyn demo</c>, the end-to-end tests and the cluster benchmarks run.
/// It learns that a node is ready by asking it, never from its log: a coordinator when its edge answers, a verifier
/// when it has written its <see cref="ReadyFile"/>, workers when a coordinator lists them.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    private readonly LocalClusterOptions _options;
    private readonly LocalProcesses _processes;
    private readonly List<string> _names = [];
    private readonly Dictionary<string, Coordinator> _coordinators = [];
    private readonly Dictionary<string, Process> _workers = [];

    /// <summary>
    /// Each coordinator's cluster port, by its edge port (seeds name cluster ports; callers name coordinators by their
    /// edges).
    /// </summary>
    private readonly Dictionary<int, int> _clusterPorts = [];

    /// <summary>The first coordinator started here: it creates the cluster certificate the others are given.</summary>
    private string? _firstCoordinator;

    private sealed record Coordinator(int Port, string? Seeds, string? Db, string Host, Process Process);

    public LocalCluster(LocalClusterOptions options)
    {
        _options = options;
        _processes = new LocalProcesses(options.GensynDll);
        Directory.CreateDirectory(options.Root);
    }

    /// <summary>A coordinator and <paramref name="workers"/> workers (worker-1, ...), all registered.</summary>
    public static LocalCluster Start(LocalClusterOptions options, int workers, string? db = null)
    {
        var cluster = new LocalCluster(options);
        try
        {
            cluster.StartCoordinator("coordinator", db: db);
            for (var i = 1; i <= workers; i++) cluster.StartWorker($"worker-{i}");
            cluster.WaitForWorkers(workers);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public static int FreePort() => LocalProcesses.FreePort();

    public string Root => _options.Root;

    /// <summary>The coordinator(s) the CLI and workers use, HOST:PORT[,...].</summary>
    public string Coordinators { get; private set; } = "";

    /// <summary>Environment of every coordinator started from now on (e.g. GENSYN_SHARD_STALL_SECONDS).</summary>
    public Dictionary<string, string> CoordinatorEnvironment { get; } = [];

    /// <summary>Node <paramref name="name"/>'s data directory (ROOT/NAME), sharing the datasets fetched.</summary>
    public string DataDir(string name)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        var shared = Path.Combine(_options.SharedDataDirectory, "datasets");
        Directory.CreateDirectory(shared);
        var link = Path.Combine(dir, "datasets");
        if (!Path.Exists(link)) Directory.CreateSymbolicLink(link, shared);
        return dir;
    }

    public string LogPath(string name) => Path.Combine(Root, name + ".log");

    /// <summary>What node <paramref name="name"/> printed so far (every run of it, appended).</summary>
    public string LogOf(string name)
    {
        if (!File.Exists(LogPath(name))) return "";
        using var stream = new FileStream(LogPath(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The last lines of every node's log, for failure messages.</summary>
    public string Logs() => string.Join("\n", _names.Select(n => $"===== {n} =====\n{Tail(LogOf(n))}"));

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    /// <summary>
    /// The cluster certificate (the first coordinator's DATA_DIR/tls/cluster.pfx) that joining nodes get as
    /// --cluster-cert.
    /// </summary>
    public string ClusterCertificateFile =>
        Path.Combine(DataDir(_firstCoordinator ?? "coordinator"), "tls", "cluster.pfx");

    /// <summary>
    /// Starts a coordinator with its edge on <paramref name="port"/> (a free one when null), bound to
    /// <paramref name="host"/>, and returns once its edge answers; one that joins others (<paramref name="seeds"/>,
    /// edge addresses) gets the cluster certificate.
    /// </summary>
    public Process StartCoordinator(
        string name = "coordinator", int? port = null, string? seeds = null, string? db = null,
        string host = "127.0.0.1", string? config = null)
    {
        var edgePort = port ?? FreePort();
        _firstCoordinator ??= name;
        var args = new List<string>
        {
            "node", "--port", $"{edgePort}", "--cluster-port", $"{ClusterPortOf(edgePort)}",
            "--data-dir", DataDir(name), "--log-level", _options.LogLevel,
        };
        if (host != "127.0.0.1") args.AddRange(["--host", host]);
        if (seeds is not null) args.AddRange(["--seed", ClusterSeeds(seeds)]);
        if (seeds is not null && name != _firstCoordinator)
            args.AddRange(["--cluster-cert", ClusterCertificateFile]);
        if (db is not null) args.AddRange(["--db", db]);
        if (config is not null) args.AddRange(["--config", config]);
        var process = Spawn(name, args, CoordinatorEnvironment);
        _coordinators[name] = new Coordinator(edgePort, seeds, db, host, process);
        var address = $"{host}:{edgePort}";
        if (!Coordinators.Split(',').Contains(address))
            Coordinators = Coordinators.Length == 0 ? address : Coordinators + "," + address;
        WaitFor(() => Ask(address, new ListWorkers()) is WorkerList, _options.StartTimeout,
            $"coordinator {name} to answer at {address}", process);
        return process;
    }

    /// <summary>
    /// Starts a verifier node (<c>node --role verifier</c>) that joins <paramref name="seeds"/>, and returns once it is
    /// a member (Up): when it has written its <see cref="ReadyFile"/>.
    /// </summary>
    public Process StartVerifier(string name, string seeds)
    {
        ReadyFile.Clear(DataDir(name));
        var process = Spawn(name,
        [
            "node", "--role", "verifier", "--port", $"{FreePort()}", "--cluster-port", $"{FreePort()}",
            "--seed", ClusterSeeds(seeds), "--cluster-cert", ClusterCertificateFile,
            "--data-dir", DataDir(name), "--log-level", _options.LogLevel,
        ], CoordinatorEnvironment);
        WaitFor(() => ReadyFile.WrittenBy(DataDir(name), process.Id), _options.StartTimeout,
            $"verifier {name} to join", process);
        return process;
    }

    /// <summary>The cluster address (HOST:PORT, Akka.Remote) of coordinator <paramref name="name"/>: what another
    /// member joins as its seed.</summary>
    public string ClusterAddress(string name = "coordinator") =>
        $"{_coordinators[name].Host}:{ClusterPortOf(_coordinators[name].Port)}";

    /// <summary>The process of the coordinator started last under <paramref name="name"/>.</summary>
    public Process CoordinatorProcess(string name = "coordinator") => _coordinators[name].Process;

    /// <summary>
    /// Kills coordinator <paramref name="name"/> (SIGKILL, no graceful shutdown) and starts a new process with the same
    /// port, seeds, data directory and journal; returns once it answers.
    /// </summary>
    public Process RestartCoordinator(string name = "coordinator")
    {
        var old = _coordinators[name];
        if (!old.Process.HasExited) Kill(old.Process);
        WaitForPortsReleased(name, "killed");
        return StartAgain(name);
    }

    /// <summary>
    /// Stops coordinator <paramref name="name"/> the way Ctrl+C or a service manager does (SIGTERM), and waits for it
    /// to exit.
    /// </summary>
    public void StopCoordinator(string name = "coordinator")
    {
        var process = _coordinators[name].Process;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) term.WaitForExit();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            throw Failure($"coordinator {name} did not stop within 30 s of SIGTERM");
        WaitForPortsReleased(name, "stopped");
    }

    /// <summary>Starts coordinator <paramref name="name"/> again: same port, seeds, journal, data directory.</summary>
    public Process StartAgain(string name = "coordinator")
    {
        var (port, seeds, db, host, _) = _coordinators[name];
        return StartCoordinator(name, port, seeds, db, host);
    }

    private void WaitForPortsReleased(string name, string how)
    {
        var port = _coordinators[name].Port;
        WaitFor(() => LocalProcesses.PortFree(port) && LocalProcesses.PortFree(ClusterPortOf(port)),
            TimeSpan.FromSeconds(30),
            $"ports {port} and {ClusterPortOf(port)} to be released by the {how} coordinator {name}", null);
    }

    /// <summary>
    /// Starts worker <paramref name="name"/> (its id too, unless <paramref name="workerId"/>) against
    /// <paramref name="coordinators"/> (default: all started here); <paramref name="launcher"/>: a command that runs it
    /// in its place (e.g. <c>ip netns exec NAME</c>); <paramref name="options"/>: more of <c>gensyn worker</c>'s
    /// options (e.g. <c>--price</c>). <see cref="WaitForWorkers"/> waits until it registered.
    /// </summary>
    public Process StartWorker(
        string name, string? coordinators = null, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null, string? workerId = null, IReadOnlyList<string>? options = null)
    {
        var process = Spawn(name,
        [
            "worker", "--coordinator", coordinators ?? Coordinators, "--id", workerId ?? name,
            "--data-dir", DataDir(name), "--log-level", _options.LogLevel, .. options ?? [],
        ], environment, launcher);
        _workers[name] = process;
        return process;
    }

    /// <summary>The process of the worker started last under <paramref name="name"/>.</summary>
    public Process WorkerProcess(string name) => _workers[name];

    /// <summary>Returns once the coordinators list at least <paramref name="count"/> workers.</summary>
    public void WaitForWorkers(int count) =>
        WaitFor(() => Ask(Coordinators, new ListWorkers()) is WorkerList list && list.Workers.Count >= count,
            _options.StartTimeout, $"{count} worker(s) to register", null);

    /// <summary>
    /// A client of this cluster's coordinators whose data directory (wallet, pinned certificates) is
    /// ROOT/<paramref name="name"/> (default: the options' client).
    /// </summary>
    public CoordinatorClient Client(string? name = null) =>
        CoordinatorClient.Connect(Coordinators, dataDirectory: DataDir(name ?? _options.ClientName));

    /// <summary>Runs a `gensyn` command to completion in data directory ROOT/<paramref name="dataDirName"/>.</summary>
    public LocalProcesses.Result Run(string dataDirName, IEnumerable<string> args, TimeSpan? timeout = null) =>
        _processes.Run([.. args, "--data-dir", DataDir(dataDirName)], _options.Environment, timeout);

    public void Kill(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <paramref name="limit"/>.</summary>
    public void AwaitCondition(Func<bool> condition, TimeSpan limit, string what) =>
        WaitFor(condition, limit, what, null);

    /// <summary>Polls <paramref name="probe"/> until it yields a value; fails after <paramref name="limit"/>.</summary>
    public async Task<T> AwaitConditionAsync<T>(Func<Task<T?>> probe, TimeSpan limit, string what) where T : class
    {
        _lastRefusal = null;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (clock.Elapsed > limit) throw Failure($"gave up waiting for {what} after {limit.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The answer of the coordinator(s) at <paramref name="address"/> to <paramref name="request"/>, or null when none
    /// answers (yet). Asks as a client of its own (ROOT/.readiness): touches no one else's wallet or pinned
    /// certificates.
    /// </summary>
    private IGensynMessage? Ask(string address, IGensynMessage request) => Task.Run(async () =>
    {
        try
        {
            var probe = Directory.CreateDirectory(Path.Combine(Root, ".readiness")).FullName;
            await using var client = CoordinatorClient.Connect(address, dataDirectory: probe);
            return await client.Ask(request, TimeSpan.FromSeconds(5));
        }
        catch (Exception e)
        {
            _lastRefusal = e.Message;
            return null;
        }
    }).GetAwaiter().GetResult();

    /// <summary>Why the last readiness question went unanswered, for the failure message.</summary>
    private string? _lastRefusal;

    private int ClusterPortOf(int edgePort) =>
        _clusterPorts.TryGetValue(edgePort, out var port) ? port : _clusterPorts[edgePort] = FreePort();

    /// <summary>Seeds given as edge addresses, as the cluster addresses the coordinators join.</summary>
    private string ClusterSeeds(string seeds) => string.Join(",", seeds.Split(',').Select(s =>
    {
        var colon = s.LastIndexOf(':');
        return $"{s[..colon]}:{ClusterPortOf(int.Parse(s[(colon + 1)..]))}";
    }));

    private Process Spawn(
        string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        var variables = new Dictionary<string, string>(_options.Environment);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) variables[k] = v;
        var process = _processes.Start(args, LogPath(name), variables, launcher);
        if (!_names.Contains(name)) _names.Add(name);
        return process;
    }

    private void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Process? process)
    {
        _lastRefusal = null;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process is { HasExited: true })
                throw Failure($"gave up waiting for {what}: the process exited with {process.ExitCode}");
            if (clock.Elapsed > timeout) throw Failure($"gave up waiting for {what} after {timeout.TotalSeconds} s");
            Thread.Sleep(200);
        }
    }

    private LocalClusterException Failure(string message)
    {
        if (_lastRefusal is not null) message += $" (last answer: {_lastRefusal})";
        return new(_options.LogsInErrors ? $"{message}\n{Logs()}" : $"{message}; the nodes' logs are in {Root}");
    }

    public void Dispose()
    {
        _processes.Dispose();
        StopDevnets();
        if (!_options.DeleteRoot) return;
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A node still writing; the temporary directory goes with the machine's cleanup.
        }
    }

    /// <summary>Stops the devnets left: one outlives a coordinator killed by SIGKILL (a restart adopts it).</summary>
    private void StopDevnets()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var devnet in Directory.GetFiles(Root, "devnet.json", SearchOption.AllDirectories))
        {
            try
            {
                using var state = JsonDocument.Parse(File.ReadAllText(devnet));
                using var anvil = Process.GetProcessById(state.RootElement.GetProperty("Pid").GetInt32());
                if (anvil.ProcessName.StartsWith("anvil", StringComparison.Ordinal)) anvil.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException
                                          or JsonException or KeyNotFoundException)
            {
                // Already gone.
            }
        }
    }
}

/// <summary>A node of a <see cref="LocalCluster"/> did not start, register or stop in time.</summary>
public sealed class LocalClusterException(string message) : Exception(message);

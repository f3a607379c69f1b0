using System.Text.Json;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// The product's <see cref="LocalCluster"/> as the end-to-end tests run it: this test build's gensyn.dll, nodes in a
/// temporary directory (kept with GENSYN_KEEP_TEST_DIRS=1), the repository's datasets, and failures that carry every
/// node's log. The extensions run the CLI against it and read what its nodes keep on disk.
/// </summary>
public static class TestCluster
{
    public static LocalClusterOptions Options() =>
        new(Directory.CreateTempSubdirectory("gensyn-test-").FullName, GensynProcess.DataDirectory)
        {
            GensynDll = GensynProcess.Dll,
            Environment = GensynProcess.Environment,
            LogsInErrors = true,
            DeleteRoot = Environment.GetEnvironmentVariable("GENSYN_KEEP_TEST_DIRS") != "1",
        };

    /// <summary>No node yet.</summary>
    public static LocalCluster Create() => new(Options());

    /// <summary>A coordinator and <paramref name="workers"/> workers, ready (workers registered).</summary>
    public static LocalCluster Start(int workers = 2, string? db = null) => LocalCluster.Start(Options(), workers, db);

    /// <summary>Runs a CLI command against this cluster's coordinators, with the data directory ROOT/cli.</summary>
    public static GensynProcess.Result Cli(this LocalCluster cluster, params string[] args) =>
        GensynProcess.Run(cluster.DataDir("cli"), [.. args, "--coordinator", cluster.Coordinators]);

    /// <summary>
    /// Writes <paramref name="yaml"/> to a spec file, submits it with the CLI (which deposits its budget) and returns
    /// the job id.
    /// </summary>
    public static string Submit(this LocalCluster cluster, string yaml)
    {
        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, yaml);
        var submitted = cluster.Cli("submit", spec, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        return JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
    }

    /// <summary>The devnet coordinator <paramref name="name"/> runs: its contracts and RPC, from its data.</summary>
    public static ChainSettings Chain(this LocalCluster cluster, string name = "coordinator")
    {
        var dir = Path.Combine(cluster.DataDir(name), "chain");
        using var devnet = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "devnet.json")));
        var host = devnet.RootElement.TryGetProperty("Host", out var h) && h.GetString() is { } recorded
            ? recorded
            : "127.0.0.1";
        var rpc = $"http://{host}:{devnet.RootElement.GetProperty("Port").GetInt32()}";
        return ChainSettings.LoadContracts(Path.Combine(dir, "contracts.json"), rpc, isDevnet: true);
    }

    /// <summary>The address of a node's key: a worker's DATA_DIR/worker.key, a requester's wallet.key.</summary>
    public static string AddressOf(this LocalCluster cluster, string name, string keyFile = "worker.key") =>
        WorkerKey.Load(Path.Combine(cluster.DataDir(name), keyFile)).Address;
}

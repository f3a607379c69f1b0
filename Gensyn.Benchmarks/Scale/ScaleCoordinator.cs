using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Gensyn.Actors;
using Gensyn.Edge;
using Gensyn.Node.Local;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// One coordinator of the scale benchmark in a process of its own (<c>Gensyn.Benchmarks scale-coordinator DIR
/// HOCON [SEED CERT]</c>): a <see cref="CoordinatorNode"/> without a chain (so that simulated providers need no stake
/// and jobs no deposit) and its edge, as <see cref="InProcessEdge"/> starts them. It writes DIR/ready.json (edge port,
/// fingerprint, cluster address, certificate), then every half second DIR/stats.json: its managed heap now and at
/// its peak, and the jobs it hosts (its shard region's entities), which the benchmark reads when a run ends.
/// </summary>
public static class ScaleCoordinator
{
    public sealed record Ready(int EdgePort, string Fingerprint, string ClusterAddress, string CertificateFile);

    public sealed record Stats(long HeapBytes, long PeakHeapBytes, long CommittedBytes, string[] Jobs);

    public static async Task<int> Run(string[] args)
    {
        Serilog.Log.Logger = Serilog.ConsoleLoggerConfigurationExtensions.Console(
            new Serilog.LoggerConfiguration().MinimumLevel.Warning().WriteTo).CreateLogger();
        var (dir, hocon) = (args[0], File.ReadAllText(args[1]));
        var seeds = args.Length > 2 ? new[] { args[2] } : [];
        var port = LocalCluster.FreePort();
        var node = CoordinatorNode.Start(new CoordinatorOptions("127.0.0.1", port, seeds, dir,
            JournalOptions.Sqlite(Path.Combine(dir, "journal.db")), hocon,
            ClusterCertificate: args.Length > 3 ? args[3] : null));
        await node.WhenUp().WaitAsync(TimeSpan.FromMinutes(1));
        var edge = await EdgeServer.StartAsync(node, new EdgeOptions("127.0.0.1", 0, dir));
        var ready = new Ready(edge.Port, edge.Fingerprint, $"127.0.0.1:{port}", node.Certificate.File);
        WriteAtomically(Path.Combine(dir, "ready.json"), JsonSerializer.Serialize(ready));
        var region = ClusterSharding.Get(node.System).ShardRegion("job");
        long peak = 0;
        while (true)
        {
            await Task.Delay(500);
            var info = GC.GetGCMemoryInfo();
            var heap = GC.GetTotalMemory(forceFullCollection: false);
            peak = Math.Max(peak, heap);
            string[] jobs = [];
            try
            {
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance,
                    TimeSpan.FromSeconds(5));
                jobs = [.. state.Shards.SelectMany(s => s.EntityIds)];
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // Busy: the last list stands.
                continue;
            }
            WriteAtomically(Path.Combine(dir, "stats.json"),
                JsonSerializer.Serialize(new Stats(heap, peak, info.TotalCommittedBytes, jobs)));
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

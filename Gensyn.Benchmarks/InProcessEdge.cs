using Gensyn.Actors;
using Gensyn.Edge;

namespace Gensyn.Benchmarks;

/// <summary>
/// A coordinator (no chain, SQLite journal, cluster.hocon) and its edge (gRPC over TLS on a free loopback port) in this process, as
/// Gensyn.Tests' InProcessClusterTests starts them; everything lives under a temporary directory removed on dispose.
/// </summary>
public sealed class InProcessEdge : IAsyncDisposable
{
    private InProcessEdge(string root, CoordinatorNode node, EdgeServer edge)
    {
        Root = root;
        Node = node;
        Edge = edge;
    }

    public string Root { get; }
    public CoordinatorNode Node { get; }
    public EdgeServer Edge { get; }

    /// <summary>The edge's address pinned to its certificate, as clients are given it.</summary>
    public string Door => $"127.0.0.1:{Edge.Port}#{Edge.Fingerprint}";

    public string Dir(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    /// <summary>Starts a coordinator and its edge on cluster.hocon, with <paramref name="settings"/> (HOCON) over it.</summary>
    public static async Task<InProcessEdge> StartAsync(string repositoryRoot, string name, string settings = "")
    {
        var root = Path.Combine(Path.GetTempPath(), $"gensyn-{name}-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "coordinator");
        var node = CoordinatorNode.Start(new CoordinatorOptions("127.0.0.1", Gensyn.Node.Local.LocalCluster.FreePort(), [], data,
            JournalOptions.Sqlite(Path.Combine(root, "journal.db")), File.ReadAllText(Path.Combine(repositoryRoot, "cluster.hocon")) + "\n" + settings));
        await node.WhenUp().WaitAsync(TimeSpan.FromMinutes(1));
        var edge = await EdgeServer.StartAsync(node, new EdgeOptions("127.0.0.1", 0, data));
        return new InProcessEdge(root, node, edge);
    }

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        await Node.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

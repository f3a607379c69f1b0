using Gensyn.Contracts;
using System.Text;
using System.Text.Json;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Edge;
using Gensyn.Edge.Client;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// What an eavesdropper between the clients and an edge sees: the CLI (submit, status, logs) and a worker both reach the edge through
/// a relay that records every byte, and nothing of the job — its name, its spec, its id — is in those bytes; only TLS records are.
/// </summary>
[Collection("cluster")]
public class PlaintextTests
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    private const string Name = "secret-marker-9f3a";
    private const string Canary = "# canary-line-7c41e2: not for the wire";
    private const string SeedLine = "seed: 918273";

    private static readonly string Yaml = $"""
        {Canary}
        name: {Name}
        model: {"{"} kind: mlp, hidden: [16] {"}"}
        dataset: {"{"} name: synthetic, samples: 512, features: 12, classes: 3 {"}"}
        training:
          rounds: 1
          shards: 2
          inner-steps: 8
          batch-size: 16
          {SeedLine}
          checkpoint-every: 4
          inner-optimizer: {"{"} kind: adamw, lr: 0.01 {"}"}
          outer-optimizer: {"{"} kind: nesterov, lr: 0.7, momentum: 0.9 {"}"}
        """;

    [Fact]
    public async Task No_job_name_spec_or_id_crosses_the_wire_in_plaintext_between_the_clients_and_the_edge()
    {
        using var root = new TempDirectory();
        await using var coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", LocalCluster.FreePort(), [], root.File("coordinator"), JournalOptions.Sqlite(root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")), SerializeMessages: true));
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);
        await using var edge = await EdgeServer.StartAsync(coordinator, new EdgeOptions("127.0.0.1", 0, root.File("coordinator")));
        using var relay = new RecordingRelay(edge.Port);
        var door = $"127.0.0.1:{relay.Port}";

        using var link = new WorkerLink([door], root.File("worker"));
        await using var worker = WorkerNode.Start(
            new WorkerOptions((WorkerId)"worker-1", [door], root.File("worker"), Threads: 1, PricePerHour: 0.2), link, serializeMessages: true);

        var spec = root.File("job.yaml");
        File.WriteAllText(spec, Yaml);
        var cli = root.File("cli");
        var submitted = GensynProcess.Run(cli, "submit", spec, "--wait", "--json", "--coordinator", door);
        Assert.True(submitted.ExitCode == 0, submitted.Stdout + submitted.Stderr);
        var job = JsonDocument.Parse(Json(submitted.Stdout)).RootElement;
        var jobId = job.GetProperty("jobId").GetString()!;
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(Name, job.GetProperty("name").GetString());

        // The clients did get the job's details, through the relay.
        var status = GensynProcess.Run(cli, "status", jobId, "--json", "--coordinator", door);
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Contains(Name, status.Stdout);
        var logs = GensynProcess.Run(cli, "logs", jobId, "--coordinator", door);
        Assert.True(logs.ExitCode == 0 && logs.Stdout.Length > 0, logs.Stderr);
        var listed = GensynProcess.Run(cli, "status", "--json", "--coordinator", door);
        Assert.Contains(jobId, listed.Stdout);
        Assert.Contains(door, File.ReadAllText(Path.Combine(cli, global::Gensyn.Edge.Tls.CoordinatorTrust.FileName)));

        // Every connection, the worker's and each CLI run's, went through the relay and began with a TLS handshake.
        var connections = relay.Connections;
        Assert.True(connections.Count >= 5, $"{connections.Count} connections relayed: the worker's and four CLI runs' were expected");
        Assert.All(connections.Where(c => c.FromClient.Length > 0), c => Assert.Equal(0x16, c.FromClient[0]));
        Assert.All(connections.Where(c => c.FromServer.Length > 0), c => Assert.Equal(0x16, c.FromServer[0]));
        // The search sees what is in clear on the wire: the ClientHello's ALPN offer of HTTP/2 ("h2").
        Assert.All(connections.Where(c => c.FromClient.Length > 0), c => Assert.True(c.FromClient.AsSpan().IndexOf([(byte)0x02, (byte)'h', (byte)'2']) >= 0));
        var wire = relay.Everything();
        Assert.True(wire.Length > 20_000, $"only {wire.Length} bytes crossed the relay");

        foreach (var secret in new[] { Name, Canary, SeedLine, "synthetic", jobId, "hidden: [16]", "worker-1" })
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            Assert.True(wire.AsSpan().IndexOf(bytes) < 0, $"'{secret}' crossed the wire in plaintext");
            Assert.True(wire.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"'{secret}' crossed the wire in plaintext (UTF-16)");
        }
    }

    /// <summary>The JSON a command printed, without any log lines around it.</summary>
    private static string Json(string stdout) => stdout[stdout.IndexOf('{')..(stdout.LastIndexOf('}') + 1)];
}

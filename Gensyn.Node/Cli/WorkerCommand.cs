using System.CommandLine;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Serilog;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn worker</c>: offer this machine's compute to the coordinators until interrupted.</summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var coordinator = ClusterCli.CoordinatorOption();
        var id = new Option<string?>("--id") { Description = "This worker's identity (default: one generated once and kept in DATA_DIR/worker-id)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads this worker offers", DefaultValueFactory = _ => 1 };
        var price = new Option<double>("--price") { Description = "Asking price per compute-hour, in GENS", DefaultValueFactory = _ => 0.2 };
        var port = new Option<int>("--port") { Description = "Port for coordinators to reach this worker (0: any free one)", DefaultValueFactory = _ => 0 };
        var host = new Option<string>("--host") { Description = "Address coordinators reach this worker at", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("worker", "Run a provider's worker: register with the coordinators and train the shards they assign")
        {
            coordinator, id, threads, price, port, host,
        };
        command.SetAction((parse, cancel) =>
        {
            var dataDir = parse.GetRequiredValue(GlobalOptions.DataDir);
            var t = parse.GetValue(threads);
            if (t is < 1 or > 1024) throw new CliInputException($"--threads: must be 1-1024, got {t}");
            var p = parse.GetValue(price);
            if (p < 0 || double.IsNaN(p)) throw new CliInputException($"--price: must be >= 0, got {p}");
            var options = new WorkerOptions(WorkerId(parse.GetValue(id), dataDir),
                ClusterCli.ParseEndpoints(parse.GetRequiredValue(coordinator), "--coordinator"), dataDir, t, p);
            return Run(options, parse.GetValue(port), parse.GetRequiredValue(host), cancel);
        });
        return command;
    }

    private static string WorkerId(string? given, string dataDir)
    {
        if (given is not null)
        {
            if (given.Length is 0 or > 100 || given.Any(char.IsWhiteSpace)) throw new CliInputException($"--id: must be 1-100 characters without spaces, got '{given}'");
            return given;
        }
        var file = Path.Combine(dataDir, "worker-id");
        if (File.Exists(file)) return File.ReadAllText(file).Trim();
        Directory.CreateDirectory(dataDir);
        var generated = "worker-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(file, generated);
        return generated;
    }

    private static async Task<int> Run(WorkerOptions options, int port, string host, CancellationToken cancel)
    {
        Console.WriteLine($"worker {options.WorkerId} ({options.NumericClass}) connecting to {string.Join(", ", options.Coordinators)}; Ctrl+C stops it");
        var stop = NodeCommand.WaitForStop(cancel);
        while (true)
        {
            await using var node = WorkerNode.Start(options, port, host);
            var ended = await Task.WhenAny(stop, node.Quarantined);
            if (ended == stop) return ExitCodes.Success;
            // A quarantined connection never heals: start afresh (new address, same identity) and register again.
            Log.Warning("Connection to the coordinators was quarantined ({Reason}); restarting the worker's node", node.Quarantined.Result);
        }
    }
}

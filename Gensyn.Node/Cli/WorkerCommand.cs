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
        var check = new Option<bool>("--check")
        {
            Description = "Measure this machine (device, memory, reference training throughput), say whether it meets the network's minimums, and exit without joining",
        };
        var json = ClusterCli.JsonOption();
        var command = new Command("worker", "Run a provider's worker: register with the coordinators and train the shards they assign")
        {
            coordinator, id, threads, price, port, host, check, json,
        };
        command.SetAction((parse, cancel) =>
        {
            var dataDir = parse.GetRequiredValue(GlobalOptions.DataDir);
            var t = parse.GetValue(threads);
            if (t is < 1 or > 1024) throw new CliInputException($"--threads: must be 1-1024, got {t}");
            if (parse.GetValue(check)) return Task.FromResult(Check(t, parse.GetValue(json)));
            var p = parse.GetValue(price);
            if (p < 0 || double.IsNaN(p)) throw new CliInputException($"--price: must be >= 0, got {p}");
            var options = new WorkerOptions(WorkerId(parse.GetValue(id), dataDir),
                ClusterCli.ParseEndpoints(parse.GetRequiredValue(coordinator), "--coordinator"), dataDir, t, p);
            return Run(options, parse.GetValue(port), parse.GetRequiredValue(host), cancel);
        });
        return command;
    }

    /// <summary>The network's minimums for GPU jobs; CPU workers may take small jobs and tests.</summary>
    public const double GpuMinMemoryGb = 16;
    public const double GpuMinBandwidthMbps = 50;

    /// <summary><c>worker --check</c>: what this machine offers and whether it meets the minimums.</summary>
    private static int Check(int threads, bool json)
    {
        var options = new WorkerOptions("check", [], Path.GetTempPath(), threads, 0);
        using var thread = new Gensyn.Training.Training.TrainingThread("worker-check");
        var throughput = thread.Run(() => Gensyn.Training.Training.ReferenceStep.MeasureStepsPerSecond(threads, TimeSpan.FromSeconds(2))).GetAwaiter().GetResult();
        var gpu = options.Device == "cuda" && options.MemoryGb >= GpuMinMemoryGb;
        var verdict = gpu
            ? $"meets the minimums for GPU jobs ({GpuMinMemoryGb} GB; bandwidth is measured against a coordinator when the worker joins)"
            : $"no CUDA device with {GpuMinMemoryGb} GB: not eligible for GPU jobs; eligible for CPU jobs (small work and tests)";
        if (json)
        {
            Console.WriteLine(ClusterCli.JsonOf(new
            {
                device = options.Device, memoryGb = options.MemoryGb, threads, numericClass = options.NumericClass,
                referenceStepsPerSecond = throughput, gpuJobs = gpu, cpuJobs = true, minimums = new { gpuMemoryGb = GpuMinMemoryGb, gpuBandwidthMbps = GpuMinBandwidthMbps },
            }));
            return ExitCodes.Success;
        }
        Console.WriteLine($"device          {options.Device}");
        Console.WriteLine($"memory          {options.MemoryGb:0.#} GB");
        Console.WriteLine($"threads         {threads} ({options.NumericClass})");
        Console.WriteLine($"throughput      {throughput:0.#} reference steps/s (MLP 784-256-10, batch 64, forward + backward + update)");
        Console.WriteLine($"verdict         {verdict}");
        return ExitCodes.Success;
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

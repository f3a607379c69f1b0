using System.CommandLine;
using Gensyn.Actors;
using Gensyn.Actors.Market;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;
using Serilog;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn worker</c>: offer this machine's compute to the coordinators until interrupted.</summary>
public static class WorkerCommand
{
    /// <param name="cudaAvailable">Whether this machine can train on CUDA (TorchSharp's answer unless given).</param>
    public static Command Create(Func<bool>? cudaAvailable = null)
    {
        var coordinator = ClusterCli.CoordinatorOption();
        var id = new Option<string?>("--id") { Description = "This worker's identity (default: one generated once and kept in DATA_DIR/worker-id)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads this worker offers", DefaultValueFactory = _ => 1 };
        var price = new Option<double?>("--price")
        {
            Description = "Asking price per compute-hour, in GENS (default: a fraction of the cloud's on-demand price " +
                          "for the throughput this worker measures; gensyn.market.default-ask in cluster.hocon, 0.2 " +
                          "of the cheapest instance of its class)",
        };
        var device = new Option<string?>("--device") { Description = "The device this worker offers: cpu or cuda (default: cuda when available, else cpu)" };
        var check = new Option<bool>("--check")
        {
            Description = "Measure this machine (device, memory, reference training throughput; bandwidth from --coordinator when given), say whether it meets the network's minimums, and exit without joining",
        };
        var json = ClusterCli.JsonOption();
        var command = new Command("worker", "Run a provider's worker: register with the coordinators and train the shards they assign")
        {
            coordinator, id, threads, price, device, check, json,
        };
        command.SetAction((parse, cancel) =>
        {
            var dataDir = parse.GetRequiredValue(GlobalOptions.DataDir);
            var t = parse.GetValue(threads);
            if (t is < 1 or > 1024) throw new CliInputException($"--threads: must be 1-1024, got {t}");
            var compute = ChooseDevice(parse.GetValue(device), cudaAvailable ?? ComputeDevice.CudaAvailable);
            if (parse.GetValue(check)) return Check(t, compute, parse.GetValue(json), parse.GetResult(coordinator) is { Implicit: false } ? parse.GetRequiredValue(coordinator) : null);
            var p = parse.GetValue(price);
            if (p is { } asked && !(asked >= 0 && double.IsFinite(asked)))
                throw new CliInputException($"--price: must be >= 0, got {asked}");
            var config = ShippedConfig();
            var options = new WorkerOptions(WorkerIdOf(parse.GetValue(id), dataDir),
                ClusterCli.ParseEndpoints(parse.GetRequiredValue(coordinator), "--coordinator"), dataDir, t, p)
            {
                Compute = compute,
                Datasets = config is null
                    ? Contracts.Datasets.PackedDataSettings.Default
                    : Contracts.Datasets.PackedDataSettings.From(config),
                DefaultAsk = Market.CloudPrices.Shipped.DefaultAskFor(compute.Name, config),
            };
            options = RehearsedFaults.Worker(options);
            return Run(options, cancel);
        });
        return command;
    }

    /// <summary>The cluster.hocon shipped beside the executable (<c>gensyn.datasets</c>,
    /// <c>gensyn.market.default-ask</c>); null without one (the defaults).</summary>
    private static Akka.Configuration.Config? ShippedConfig()
    {
        var hocon = Path.Combine(AppContext.BaseDirectory, "cluster.hocon");
        return File.Exists(hocon) ? Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(hocon)) : null;
    }

    /// <summary>
    /// <c>worker --check</c>: what this machine offers (device, memory, reference throughput, and with <c>--coordinator</c> the
    /// bandwidth from it) and whether it meets the network's minimums (asked of the coordinator; the defaults without one).
    /// </summary>
    private static ComputeDevice ChooseDevice(string? requested, Func<bool> cudaAvailable)
    {
        try
        {
            return ComputeDevice.Choose(requested, cudaAvailable);
        }
        catch (ComputeDeviceException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    private static async Task<int> Check(int threads, ComputeDevice compute, bool json, string? coordinators)
    {
        var options = new WorkerOptions((WorkerId)"check", [], Path.GetTempPath(), threads, 0) { Compute = compute };
        using var thread = new Gensyn.Training.Training.TrainingThread("worker-check");
        var throughput = await thread.Run(() => Gensyn.Training.Training.ReferenceStep.MeasureStepsPerSecond(threads, TimeSpan.FromSeconds(2)));
        var minimums = new NetworkMinimums(NetworkRules.DefaultGpuMemoryGb, NetworkRules.DefaultGpuBandwidthMbps);
        double? bandwidth = null;
        string? unmeasured = "give --coordinator HOST:PORT to measure it";
        // Alive until the report is printed: a disposed client sends what follows to stderr.
        await using var client = coordinators is null ? null : CoordinatorClient.Connect(coordinators);
        if (client is not null)
        {
            try
            {
                if (await client.Ask(new GetNetworkMinimums()) is NetworkMinimums network) minimums = network;
                using var link = new Gensyn.Edge.Client.WorkerLink(ClusterCli.ParseEndpoints(coordinators!, "--coordinator"), CoordinatorClient.DefaultDataDirectory);
                bandwidth = await link.MeasureBandwidthMbpsAsync(CancellationToken.None);
                unmeasured = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                unmeasured = $"no coordinator at {coordinators} answered ({e.GetBaseException().Message})";
            }
        }
        var ask = Market.CloudPrices.Shipped.DefaultAskFor(options.Device, ShippedConfig()).For(throughput);
        var gpuDevice = options.Device == "cuda" && options.MemoryGb >= minimums.GpuMemoryGb;
        var gpu = gpuDevice && bandwidth >= minimums.GpuBandwidthMbps;
        var verdict = gpu
            ? $"meets the minimums for GPU jobs ({minimums.GpuMemoryGb:0.#} GB, {minimums.GpuBandwidthMbps:0.#} Mbps) and CPU jobs"
            : !gpuDevice
                ? $"no CUDA device with {minimums.GpuMemoryGb:0.#} GB: not eligible for GPU jobs; eligible for CPU jobs (small work and tests)"
                : bandwidth is null
                    ? $"bandwidth unknown ({unmeasured}); GPU jobs need {minimums.GpuBandwidthMbps:0.#} Mbps"
                    : $"{bandwidth:0.#} Mbps is below the {minimums.GpuBandwidthMbps:0.#} Mbps GPU jobs need; eligible for CPU jobs";
        if (json)
        {
            Console.WriteLine(ClusterCli.JsonOf(new
            {
                device = options.Device, memoryGb = options.MemoryGb, threads, numericClass = options.NumericClass,
                referenceStepsPerSecond = throughput, bandwidthMbps = bandwidth, bandwidthUnmeasured = unmeasured, gpuJobs = gpu, cpuJobs = true,
                defaultAsk = ask,
                minimums = new { gpuMemoryGb = minimums.GpuMemoryGb, gpuBandwidthMbps = minimums.GpuBandwidthMbps },
            }));
            return ExitCodes.Success;
        }
        Console.WriteLine($"device          {options.Device}");
        Console.WriteLine($"memory          {options.MemoryGb:0.#} GB");
        Console.WriteLine($"threads         {threads} ({options.NumericClass})");
        Console.WriteLine($"throughput      {throughput:0.#} reference steps/s (MLP 784-256-10, batch 64, forward + backward + update)");
        Console.WriteLine($"default ask     {ask:0.######} GENS per compute-hour without --price " +
                          "(docs/concepts/pricing.md, Default asks)");
        Console.WriteLine($"bandwidth       {(bandwidth is { } b ? $"{b:0.#} Mbps from {coordinators}" : $"not measured: {unmeasured}")}");
        Console.WriteLine($"verdict         {verdict}");
        return ExitCodes.Success;
    }

    private static WorkerId WorkerIdOf(string? given, string dataDir)
    {
        if (given is not null)
        {
            if (given.Length is 0 or > 100 || given.Any(char.IsWhiteSpace)) throw new CliInputException($"--id: must be 1-100 characters without spaces, got '{given}'");
            return (WorkerId)given;
        }
        var file = Path.Combine(dataDir, "worker-id");
        if (File.Exists(file)) return (WorkerId)File.ReadAllText(file).Trim();
        Directory.CreateDirectory(dataDir);
        var generated = "worker-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(file, generated);
        return (WorkerId)generated;
    }

    private static async Task<int> Run(WorkerOptions options, CancellationToken cancel)
    {
        // The worker's key signs everything it claims and holds its stake: refuse one that others may read before starting.
        // An encrypted worker key is opened with GENSYN_WALLET_PASSPHRASE (the worker runs unattended).
        try
        {
            if (File.Exists(options.KeyFile)) Gensyn.Contracts.Signing.WorkerKey.Load(options.KeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"cannot use the worker key: {e.Message}");
        }
        Console.WriteLine($"worker {options.WorkerId} ({options.NumericClass}) connecting to {string.Join(", ", options.Coordinators)}; Ctrl+C stops it");
        using var link = new Gensyn.Edge.Client.WorkerLink(options.Coordinators, options.DataDirectory);
        await using var node = WorkerNode.Start(options, link);
        var stopped = NodeCommand.WaitForStop(cancel);
        if (await Task.WhenAny(stopped, node.RefusedForGood) != node.RefusedForGood) return ExitCodes.Success;
        // Registering again could never succeed (a convicted key, a profile against the network's rules): say why.
        var refused = await node.RefusedForGood;
        Console.Error.WriteLine(
            $"error: the coordinators refused worker {options.WorkerId} for good: {refused.Reason}");
        return ExitCodes.RefusedForGood(refused.Kind);
    }
}

using System.Runtime.InteropServices;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Edge;
using Gensyn.Edge.Client;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Cluster;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Workers;

/// <summary>The worker's device is chosen at start (CUDA when available, else the CPU, or what --device says) and registered in its signed profile.</summary>
public class ComputeDeviceTests
{
    [Fact]
    public void Without_cuda_the_worker_offers_the_cpu()
    {
        Assert.Equal(ComputeDevice.Cpu, ComputeDevice.Choose(null, () => false));
    }

    [Fact]
    public void With_cuda_available_the_worker_offers_cuda_unless_told_cpu()
    {
        Assert.Equal(ComputeDevice.Cuda, ComputeDevice.Choose(null, () => true));
        Assert.Equal(ComputeDevice.Cuda, ComputeDevice.Choose("cuda", () => true));
        Assert.Equal(ComputeDevice.Cpu, ComputeDevice.Choose("cpu", () => true));
        Assert.Equal(ComputeDevice.Cpu, ComputeDevice.Choose("CPU", () => true));
    }

    [Fact]
    public void Asking_for_cuda_where_it_is_not_available_is_refused_in_one_line_that_says_how_to_run_on_the_cpu()
    {
        var e = Assert.Throws<ComputeDeviceException>(() => ComputeDevice.Choose("cuda", () => false));
        Assert.Contains("CUDA is not available on this machine", e.Message);
        Assert.Contains("--device cpu", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_unknown_device_is_refused()
    {
        var e = Assert.Throws<ComputeDeviceException>(() => ComputeDevice.Choose("tpu", () => true));
        Assert.Contains("must be cpu or cuda", e.Message);
    }

    [Fact]
    public void The_worker_command_refuses_cuda_where_it_is_not_available_before_doing_anything_else()
    {
        using var dir = new TempDirectory();
        var root = new System.CommandLine.RootCommand { Options = { GlobalOptions.DataDir }, Subcommands = { WorkerCommand.Create(cudaAvailable: () => false) } };
        var parse = root.Parse(["worker", "--device", "cuda", "--coordinator", "127.0.0.1:1", "--data-dir", dir.Path]);
        Assert.Empty(parse.Errors);
        var thrown = Record.Exception(() => parse.Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        var e = Assert.IsType<CliInputException>(thrown is AggregateException { InnerException: { } inner } ? inner : thrown);
        Assert.Equal("--device cuda: CUDA is not available on this machine; run with --device cpu (or leave --device out) to offer the CPU", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "worker-id")));
    }

    [Fact]
    public void An_unknown_device_exits_2_with_one_line()
    {
        using var dir = new TempDirectory();
        var result = GensynProcess.Run(dir.Path, "worker", "--device", "tpu", "--check");
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Equal("error: --device: must be cpu or cuda, got 'tpu'", result.Stderr.Trim());
    }

    [Fact]
    public void A_cuda_worker_names_cuda_as_its_device_and_the_device_its_steps_run_on_in_its_numeric_class()
    {
        var options = new WorkerOptions((WorkerId)"w", [], "/tmp", Threads: 4, PricePerHour: 0.2) { Compute = ComputeDevice.Cuda };
        Assert.Equal("cuda", options.Device);
        // The sessions train on the CPU build of libtorch, so a CUDA worker's results are bit-identical to a CPU one's.
        Assert.Equal(ComputeDevice.Cpu, ComputeDevice.Cuda.TrainsOn);
        Assert.Equal($"cpu-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}-libtorch2.10-t4", options.NumericClass);
        Assert.Equal(WorkerOptions.NumericClassFor(4), options.NumericClass);
        Assert.Equal("cpu", new WorkerOptions((WorkerId)"w", [], "/tmp", Threads: 1, PricePerHour: 0.2).Device);
    }
}

/// <summary>The chosen device travels in the worker's signed profile to the registry (what <c>gensyn workers</c> shows).</summary>
[Collection("cluster")]
public class ComputeDeviceRegistrationTests
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_worker_that_chose_cuda_registers_cuda_in_its_signed_profile()
    {
        using var root = new TempDirectory();
        var port = LocalCluster.FreePort();
        await using var coordinator = CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", port, [], root.File("coordinator"), JournalOptions.Sqlite(root.File("journal.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon"))));
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);
        await using var edge = await EdgeServer.StartAsync(coordinator, new EdgeOptions("127.0.0.1", 0, root.File("coordinator")));
        var door = $"127.0.0.1:{edge.Port}";
        using var link = new WorkerLink([door], root.File("worker"));
        await using var worker = WorkerNode.Start(
            new WorkerOptions((WorkerId)"worker-cuda", [door], root.File("worker"), Threads: 1, PricePerHour: 0.2) { Compute = ComputeDevice.Cuda }, link);
        await using var client = CoordinatorClient.Connect(door, dataDirectory: root.File("cli"));

        WorkerList list = null!;
        await Poll.Until(
            async () => (list = Assert.IsType<WorkerList>(await client.Ask(new ListWorkers(), GiveUpAfter))).Workers.Count > 0,
            GiveUpAfter, "the worker to register");
        var registered = Assert.Single(list.Workers);
        Assert.Equal("cuda", registered.Device);
        Assert.Equal(WorkerOptions.NumericClassFor(1), registered.NumericClass);
    }
}

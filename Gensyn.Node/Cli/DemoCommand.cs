using System.CommandLine;
using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn demo</c>: a whole network on this machine — a coordinator and two workers as separate
/// processes on free loopback ports — runs a real job, prints the result and stops what it started.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo?>("job") { Description = "Job spec (default: examples/mnist-mlp.yaml)", Arity = ArgumentArity.ZeroOrOne };
        var workers = new Option<int>("--workers") { Description = "How many worker processes to start", DefaultValueFactory = _ => 2 };
        var json = ClusterCli.JsonOption();
        var command = new Command("demo", "Start a local coordinator and workers, run a job through them, print the result, stop them")
        {
            spec, workers, json,
        };
        command.SetAction((parse, cancel) => Run(parse.GetValue(spec), parse.GetValue(workers), parse.GetValue(json),
            parse.GetRequiredValue(GlobalOptions.DataDir), parse.GetValue(GlobalOptions.LogLevel) ?? "warning", cancel));
        return command;
    }

    private static async Task<int> Run(FileInfo? specFile, int workerCount, bool json, string dataDir, string logLevel, CancellationToken cancel)
    {
        if (workerCount is < 1 or > 16) throw new CliInputException($"--workers: must be 1-16, got {workerCount}");
        var specPath = specFile?.FullName ?? FindExample("mnist-mlp.yaml");
        var spec = JobSpecParser.ParseFile(specPath);
        var clock = Stopwatch.StartNew();
        var run = Path.Combine(dataDir, "demo", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        var port = LocalProcesses.FreePort();
        var coordinator = $"127.0.0.1:{port}";
        using var processes = new LocalProcesses();
        var childLevel = logLevel is "warning" or "warn" or "error" ? "information" : logLevel;

        Say(json, $"demo: coordinator on {coordinator}, {workerCount} worker(s); logs in {run}");
        processes.Start(["node", "--port", $"{port}", "--data-dir", Node(run, "coordinator", dataDir), "--log-level", childLevel], Path.Combine(run, "coordinator.log"));
        for (var i = 1; i <= workerCount; i++)
            processes.Start(["worker", "--coordinator", coordinator, "--id", $"demo-worker-{i}", "--data-dir", Node(run, $"worker-{i}", dataDir), "--log-level", childLevel],
                Path.Combine(run, $"worker-{i}.log"));

        await using var client = CoordinatorClient.Connect(coordinator);
        await WaitForWorkers(client, workerCount, cancel);
        Say(json, $"demo: {workerCount} worker(s) registered after {clock.Elapsed.TotalSeconds:F1} s; submitting {spec.Name} ({spec.Training.Rounds} rounds x {spec.Training.Shards} shards x {spec.Training.InnerSteps} steps)");
        var reply = await client.Ask(new SubmitJob(File.ReadAllText(specPath), Path.GetDirectoryName(specPath)!));
        if (reply is not JobAccepted accepted) return ClusterCli.Fail(reply);

        var code = await JobWatcher.Watch(client, accepted.JobId, json, cancel, printFinal: false);
        var status = await client.Ask(new GetJobStatus(accepted.JobId));
        if (code != ExitCodes.Success || status is not JobView view)
        {
            Console.Error.WriteLine($"error: the demo job did not complete; see the logs in {run}");
            return ExitCodes.Failure;
        }
        var modelPath = Path.Combine(dataDir, "models", $"{spec.Name}-{accepted.JobId}.safetensors");
        var (downloaded, _) = await ResultCommand.Download(client, accepted.JobId, modelPath);
        if (downloaded != ExitCodes.Success) return downloaded;
        if (json)
        {
            Console.WriteLine(ClusterCli.JsonOf(new
            {
                jobId = view.JobId, testAccuracy = view.TestAccuracy, testLoss = view.TestLoss, finalDigest = view.FinalDigest, modelPath,
                rounds = view.Rounds, shards = view.ShardsPerRound, innerSteps = view.InnerSteps, workers = workerCount,
                wallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1), logs = run,
            }));
        }
        else
        {
            Console.WriteLine($"job {view.JobId} ({view.Name}) completed on {workerCount} worker processes in {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"  test accuracy {view.TestAccuracy:P2}, test loss {view.TestLoss:F4}");
            var judged = view.Verdicts?.Count ?? 0;
            Console.WriteLine($"  verified      {view.Verdicts?.Count(v => v.Outcome == VerdictOutcome.Accepted) ?? 0} of {judged} results accepted (match rate {view.MatchRate:P1}), " +
                              $"verifier {view.VerifySeconds:F1} s for {view.TrainSeconds:F1} s of training");
            Console.WriteLine($"  final digest  {view.FinalDigest}");
            Console.WriteLine($"  model         {modelPath}");
            Console.WriteLine($"  logs          {run}");
        }
        return ExitCodes.Success;
    }

    private static void Say(bool json, string line)
    {
        if (!json) Console.Error.WriteLine(line);
    }

    /// <summary>A node's own data directory, sharing the datasets already fetched.</summary>
    private static string Node(string run, string name, string dataDir)
    {
        var dir = Path.Combine(run, name);
        Directory.CreateDirectory(dir);
        var datasets = Path.Combine(dataDir, "datasets");
        Directory.CreateDirectory(datasets);
        var link = Path.Combine(dir, "datasets");
        if (!Path.Exists(link)) Directory.CreateSymbolicLink(link, datasets);
        return dir;
    }

    private static async Task WaitForWorkers(CoordinatorClient client, int count, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            try
            {
                if (await client.Ask(new ListWorkers(), TimeSpan.FromSeconds(5)) is WorkerList list && list.Workers.Count >= count) return;
            }
            catch (CoordinatorUnavailableException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new CoordinatorUnavailableException($"the demo's {count} worker(s) did not register within 90 s; see the logs");
            await Task.Delay(500, cancel);
        }
    }

    private static string FindExample(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new CliInputException($"examples/{name} not found; run from the repository or give a job spec");
    }
}

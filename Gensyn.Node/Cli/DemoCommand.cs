using System.CommandLine;
using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Local;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn demo</c>: a whole network on this machine — a coordinator (with its devnet chain) and two workers as separate
/// processes on free loopback ports — runs a real job paid from a requester's escrow deposit, prints the result and who
/// was paid what, and stops what it started.
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
        command.SetAction((parse, cancel) => ChainCli.Run(() => Run(parse.GetValue(spec), parse.GetValue(workers), parse.GetValue(json),
            parse.GetRequiredValue(GlobalOptions.DataDir), parse.GetValue(GlobalOptions.LogLevel) ?? "warning", cancel)));
        return command;
    }

    private static async Task<int> Run(FileInfo? specFile, int workerCount, bool json, string dataDir, string logLevel, CancellationToken cancel)
    {
        if (workerCount is < 1 or > 16) throw new CliInputException($"--workers: must be 1-16, got {workerCount}");
        var specPath = specFile?.FullName ?? FindExample("mnist-mlp.yaml");
        var network = NetworkSpec.Read(specPath);
        var spec = network.Spec;
        var clock = Stopwatch.StartNew();
        var run = Path.Combine(dataDir, "demo", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        var port = LocalCluster.FreePort();
        var coordinator = $"127.0.0.1:{port}";
        var childLevel = logLevel is "warning" or "warn" or "error" ? "information" : logLevel;
        using var cluster = new LocalCluster(new LocalClusterOptions(run, dataDir)
        {
            LogLevel = childLevel, StartTimeout = TimeSpan.FromSeconds(90),
        });

        Say(json, $"demo: coordinator on {coordinator}, {workerCount} worker(s); logs in {run}");
        cluster.StartCoordinator("coordinator", port);
        for (var i = 1; i <= workerCount; i++) cluster.StartWorker($"worker-{i}", workerId: $"demo-worker-{i}");
        cluster.WaitForWorkers(workerCount);

        // The requester: a wallet of its own, funded from the devnet's faucet, deposits the job's budget in escrow and signs every call.
        var wallet = Path.Combine(run, "requester", ChainCli.WalletFile);
        await using var client = CoordinatorClient.Connect(coordinator, wallet, Path.Combine(run, "requester"));
        Say(json, $"demo: {workerCount} worker(s) registered after {clock.Elapsed.TotalSeconds:F1} s; submitting {spec.Name} ({spec.Rounds} rounds x {spec.Shards} shards x {spec.InnerSteps} steps)");
        (network, var data, var noData) = await SpecDataset.ResolveAsync(network, client, dataDir, json);
        if (noData is not null) return ClusterCli.Fail(noData);
        var (reply, _, _, _) = await SubmitCommand.SendAsync(client, network, wallet, walletGiven: false,
            hours: 72, approve: true, cancel, data: data);
        if (reply is not JobAccepted accepted) return ClusterCli.Fail(reply);

        var code = await JobWatcher.Watch(client, accepted.JobId, json, cancel, printFinal: false);
        var status = code == ExitCodes.Success ? await Settled(client, accepted.JobId, cancel) : await client.Ask(new GetJobStatus(accepted.JobId));
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
                money = view.Money is { } m ? new
                {
                    requester = m.Payer, deposit = Gens.Format(m.DepositMicros), paid = Gens.Format(m.PaidMicros), refunded = Gens.Format(m.RefundedMicros),
                    workers = m.PaidPerWorker().Select(p => new { workerId = p.WorkerId, address = p.Address, paid = Gens.Format(p.Micros) }),
                    transactions = m.Settlements.Select(t => new { t.Label, status = t.Status.ToString().ToLowerInvariant(), amount = Gens.Format(t.AmountMicros), t.TxHash, t.GasUsed }),
                } : null,
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
            if (view.Money is { } m)
            {
                Console.WriteLine($"  escrow        {Gens.Format(m.DepositMicros)} GENS deposited by the requester {m.Payer}");
                foreach (var p in m.PaidPerWorker())
                    Console.WriteLine($"  paid          {Gens.Format(p.Micros)} GENS to {p.WorkerId} ({p.Address})");
                Console.WriteLine($"  refunded      {Gens.Format(m.RefundedMicros)} GENS to the requester; {m.Settlements.Count} transactions on the devnet " +
                                  $"(`gensyn status {view.JobId} --money` lists them; workers pull their pay with `gensyn wallet withdraw`)");
            }
            Console.WriteLine($"  model         {modelPath}");
            Console.WriteLine($"  logs          {run}");
        }
        return ExitCodes.Success;
    }

    /// <summary>The job's view once its escrow is released (every payout confirmed), or as it is after 60 s.</summary>
    private static async Task<IGensynMessage> Settled(CoordinatorClient client, string jobId, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var reply = await client.Ask(new GetJobStatus((JobId)jobId));
            if (reply is not JobView { Money: { } m } || (m.Pending.Count == 0 && m.Settlements.Any(s => s.Kind is SettlementKind.Complete or SettlementKind.Cancel))
                || DateTime.UtcNow > deadline)
                return reply;
            await Task.Delay(250, cancel);
        }
    }

    private static void Say(bool json, string line)
    {
        if (!json) Console.Error.WriteLine(line);
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

using System.Text.Json;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// A provider behind a home router: the worker runs in a network namespace whose firewall lets nothing new in, and still joins,
/// stakes, trains, is verified and is paid, because it only ever dials out (to the edge, and to the devnet's RPC on the
/// coordinator's host).
/// </summary>
[Collection("cluster")]
public class NatWorkerTests
{
    private const string Yaml = """
        name: behind-a-router
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 1
          shards: 2
          inner-steps: 8
          batch-size: 16
          seed: 11
          threads: 1
          checkpoint-every: 4
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 8 }
        budget: { max-total: 1 }
        """;

    [Fact]
    public async Task A_worker_behind_a_stateful_firewall_joins_trains_is_verified_and_is_paid()
    {
        using var home = HomeNetwork.Create();

        // The router really refuses new inbound connections: a listener inside home answers there, not from outside.
        var probePort = LocalCluster.FreePort();
        var listener = home.StartListener(probePort);
        Assert.True(home.ConnectsFromInside(home.HomeAddress, probePort), $"the listener inside {home.Name} should answer there\n{home.Rules()}");
        Assert.False(await HomeNetwork.ConnectsFromOutside(home.HomeAddress, probePort, TimeSpan.FromSeconds(3)),
            $"a new connection from outside reached {home.HomeAddress}:{probePort} inside home, past the firewall\n{home.Rules()}");
        listener.Kill(entireProcessTree: true);
        listener.WaitForExit(5_000);

        using var cluster = TestCluster.Create();
        var port = LocalCluster.FreePort();
        cluster.StartCoordinator("coordinator", port, host: home.OutsideAddress);
        Assert.Equal($"{home.OutsideAddress}:{port}", cluster.Coordinators);
        // The devnet's RPC is served on the coordinator's host, where the worker can reach it.
        Assert.StartsWith($"http://{home.OutsideAddress}:", cluster.Chain().RpcUrl);
        var chain = new SettlementTests.ChainReader(cluster.Chain());

        cluster.StartWorker("worker-1", launcher: home.Exec);
        cluster.WaitForWorkers(1);
        var worker = cluster.AddressOf("worker-1");
        Assert.True(await chain.Bonded(worker) > 0, "the worker staked from inside home, through the coordinator's chain RPC\n" + cluster.Logs());
        // It holds its session by dialling out: nothing listens inside home.
        Assert.Empty(home.Listeners());

        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, Yaml);
        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var job = JsonDocument.Parse(Json(submitted.Stdout)).RootElement;
        var jobId = job.GetProperty("jobId").GetString()!;
        Assert.Equal("completed", job.GetProperty("state").GetString());

        var settled = await SettlementTests.Settled(cluster, jobId);
        Assert.Equal(JobPhase.Completed, settled.State);
        Assert.All(settled.RoundHistory, r => Assert.All(r.Workers, w => Assert.Equal("worker-1", w)));
        var verdicts = settled.Verdicts ?? [];
        Assert.Equal(2, verdicts.Count(v => v is { WorkerId: "worker-1", Outcome: VerdictOutcome.Accepted }));
        Assert.DoesNotContain(verdicts, v => v.Outcome != VerdictOutcome.Accepted);

        // Paid on chain: the job's confirmed payouts name the worker's key, and the escrow owes it exactly that.
        var status = JsonDocument.Parse(Json(cluster.Cli("status", jobId, "--json").Stdout)).RootElement.GetProperty("money");
        Assert.True(status.GetProperty("paidMicros").GetInt64() > 0, status.GetRawText());
        var payouts = SettlementTests.PayoutsByAddress(settled.Money!);
        Assert.True(payouts.GetValueOrDefault(worker.ToLowerInvariant()) > 0, $"no confirmed payout to {worker}: {status.GetRawText()}");
        Assert.Equal(payouts[worker.ToLowerInvariant()], await chain.Withdrawable(worker));
        Assert.Equal(status.GetProperty("paidMicros").GetInt64(), payouts.Values.Sum());
    }

    /// <summary>The JSON a command printed, without any log lines around it.</summary>
    private static string Json(string stdout) => stdout[stdout.IndexOf('{')..(stdout.LastIndexOf('}') + 1)];
}

using System.Text.Json;
using Gensyn.Node.Local;
using Gensyn.Tests.Cli;
using Gensyn.Testing.Verification;
using Gensyn.Testing.Workers;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// A cheat that passed into a job that completed is undone by an audit: the coordinator rehearses a draw that misses
/// (GENSYN_BLIND_CHALLENGES: the cheater's round-0 results are challenged on their last step only, which it did not
/// fake), so job A (one round) completes with the lazy result in its model. In job B the cheater's round-1 result has
/// every step challenged and it is convicted of fraud; job A is marked for an audit. <c>gensyn audit A</c> replays
/// the result in full, revokes it and exits 3; job A reopens, recomputes round 0 with the honest workers, completes
/// again byte-identical to <c>gensyn train</c>, and the convicted stake pays the recomputation (an audit charge, the
/// deposit into the round's own escrow, and the payout from it).
/// </summary>
public sealed class AuditClusterTests
{
    private const int InnerSteps = 24;

    private static string Yaml(string name, int rounds, long seed) => $$"""
        name: {{name}}
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: {{rounds}}
          shards: 3
          inner-steps: {{InnerSteps}}
          batch-size: 16
          seed: {{seed}}
          threads: 1
          checkpoint-every: 12
          commit-every: 1
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: {{InnerSteps}} }
        budget: { max-total: 2 }
        """;

    /// <summary>The first seed whose lazy round-0 fakes leave the last step honest on every shard (so the blind draw
    /// passes them) and fake at least one step (so a full replay finds them).</summary>
    private static long Seed() => Enumerable.Range(1, 1000).First(seed =>
        Enumerable.Range(0, 3).All(shard =>
        {
            var faked = RecordedTrajectory.FakedStepsOf(seed, 0, shard, InnerSteps, WorkerBehavior.Lazy,
                EnvironmentWorkerFaults.DefaultFakeFraction);
            return faked.Count > 0 && !faked.Contains(InnerSteps);
        }));

    [Fact]
    public void An_audit_revokes_a_cheat_in_a_completed_job_which_recomputes_to_gensyn_train_paid_by_the_stake()
    {
        var seed = Seed();
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment[BlindChallenges.Variable] = $"{CheatCampaign.Cheater}:1";
        cluster.StartCoordinator();
        cluster.StartWorker(CheatCampaign.Cheater, environment: new Dictionary<string, string>
        {
            ["GENSYN_WORKER_BEHAVIOR"] = "lazy",
        });
        cluster.WaitForWorkers(1);
        cluster.StartWorker("honest-1");
        cluster.StartWorker("honest-2");
        cluster.WaitForWorkers(3);
        // More stake than the minimum: the slashes of job B and of the audit's revocation take the slash amount each,
        // and the recomputation is charged after them.
        string[] chain = ["--chain-rpc", cluster.Chain().RpcUrl,
            "--contracts", Path.Combine(cluster.DataDir("coordinator"), "chain", "contracts.json")];
        var key = Path.Combine(cluster.DataDir(CheatCampaign.Cheater), "worker.key");
        var funded = GensynProcess.Run(cluster.DataDir("cli"), ["wallet", "faucet", "--key", key, .. chain]);
        Assert.True(funded.ExitCode == 0, funded.Stderr);
        var staked = GensynProcess.Run(cluster.DataDir("cli"), ["stake", "50", "--key", key, .. chain]);
        Assert.True(staked.ExitCode == 0, staked.Stderr);

        // Job A completes with the cheater's lazy round-0 result in its model.
        var specA = Path.Combine(cluster.Root, "a.yaml");
        File.WriteAllText(specA, Yaml("audited", 1, seed));
        var jobA = Submitted(cluster.Cli("submit", specA, "--wait", "--json"), cluster);
        var before = Status(cluster, jobA);
        Assert.Equal("completed", before.GetProperty("state").GetString(), ignoreCase: true);
        Assert.Contains(CheatCampaign.Cheater, before.GetProperty("roundHistory")[0].GetProperty("workers")
            .EnumerateArray().Select(w => w.GetString()));

        // Job B convicts the cheater of fraud in round 1; job A is marked for an audit.
        var specB = Path.Combine(cluster.Root, "b.yaml");
        File.WriteAllText(specB, Yaml("convicting", 2, seed));
        var jobB = Submitted(cluster.Cli("submit", specB, "--json"), cluster);
        cluster.AwaitCondition(() => Status(cluster, jobA).TryGetProperty("audit", out var audit)
                                     && audit.ValueKind == JsonValueKind.Array && audit.GetArrayLength() > 0,
            TimeSpan.FromMinutes(5), $"job {jobA} to be marked for an audit");
        // Job B is not needed any more: cancelled (unless it ended already), it leaves the honest workers to job A.
        cluster.Cli("cancel", jobB);

        // The audit revokes the result (exit 3) and the job recomputes to what `gensyn train` gives.
        var audit = cluster.Cli("audit", jobA, "--json");
        Assert.True(audit.ExitCode == 3, $"gensyn audit exited {audit.ExitCode}: {audit.Stderr}{audit.Stdout}");
        Assert.Equal(1, JsonDocument.Parse(audit.Stdout).RootElement.GetProperty("revoked").GetInt32());
        JsonElement after = default;
        cluster.AwaitCondition(() =>
        {
            after = Status(cluster, jobA);
            return after.GetProperty("state").GetString()!.Equals("completed", StringComparison.OrdinalIgnoreCase)
                   && after.GetProperty("money").GetProperty("pending").GetArrayLength() == 0
                   && Settlements(after).Any(s => s.Label.EndsWith("(audit)", StringComparison.Ordinal));
        }, TimeSpan.FromMinutes(5), $"job {jobA} to recompute and settle");
        Assert.Equal(CheatCampaign.TrainDigest(cluster, specA), after.GetProperty("finalDigest").GetString());
        var purges = after.GetProperty("purges").EnumerateArray().Select(p => p.GetProperty("action").GetString())
            .ToList();
        Assert.Equal(["revoked", "reopened", "rolled-back"], purges);

        // The convicted stake paid the recomputation: its charge, the deposit of it, the payout from that escrow.
        var settlements = Settlements(after);
        var cheater = cluster.AddressOf(CheatCampaign.Cheater);
        var charge = Assert.Single(settlements, s => s.Label.StartsWith("audit charge", StringComparison.Ordinal));
        Assert.Equal(("confirmed", cheater.ToLowerInvariant()), (charge.Status, charge.Provider!.ToLowerInvariant()));
        var deposit = Assert.Single(settlements, s => s.Kind == "deposit");
        var payout = Assert.Single(settlements, s => s.Label.EndsWith("(audit)", StringComparison.Ordinal));
        Assert.All([deposit, payout], s => Assert.Equal("confirmed", s.Status));
        Assert.True(charge.Micros > 0);
        Assert.Equal(charge.Micros, deposit.Micros);
        Assert.Equal(charge.Micros, payout.Micros);
        Assert.DoesNotContain(CheatCampaign.Cheater, payout.Payees);
    }

    private sealed record Settlement(string Label, string Kind, string Status, long Micros, string? Provider,
                                     IReadOnlyList<string> Payees);

    private static List<Settlement> Settlements(JsonElement status) =>
        status.GetProperty("money").GetProperty("settlements").EnumerateArray().Select(s => new Settlement(
            s.GetProperty("label").GetString()!, s.GetProperty("kind").GetString()!.ToLowerInvariant(),
            s.GetProperty("status").GetString()!.ToLowerInvariant(), s.GetProperty("amountMicros").GetInt64(),
            s.TryGetProperty("provider", out var p) ? p.GetString() : null,
            s.GetProperty("payees").EnumerateArray().Select(x => x.GetProperty("workerId").GetString()!).ToList()))
            .ToList();

    private static string Submitted(GensynProcess.Result submitted, LocalCluster cluster)
    {
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + submitted.Stdout + cluster.Logs());
        return JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
    }

    private static JsonElement Status(LocalCluster cluster, string jobId)
    {
        var status = cluster.Cli("status", jobId, "--json");
        Assert.True(status.ExitCode == 0, status.Stderr + cluster.Logs());
        return JsonDocument.Parse(status.Stdout).RootElement.Clone();
    }
}

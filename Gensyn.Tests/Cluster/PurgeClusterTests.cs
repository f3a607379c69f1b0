using System.Text.Json;
using Gensyn.Node.Local;
using Gensyn.Testing.Verification;
using Gensyn.Testing.Workers;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// A cheat that passed its spot-check is undone once its key is convicted: the job's coordinator rehearses a draw that
/// misses (GENSYN_BLIND_CHALLENGES: the cheater's round-0 result is challenged on its last step only, which it did not
/// fake), so the lazy result is accepted and averaged into round 0; in round 1 every step is challenged, the cheater is
/// convicted of fraud, its round-0 result is replayed in full and revoked, the job rolls back to round 0 and recomputes
/// it with the honest workers, and ends byte-identical to `gensyn train`, the cheater's stake paying on the devnet.
/// </summary>
public sealed class PurgeClusterTests
{
    private const int InnerSteps = 40;

    /// <summary>
    /// Three tiny shards a round (one per worker), two rounds; k = H, so a result outside the blind spot has every
    /// step challenged. Every step is committed, so the blind spot (the last segment) is the last step alone.
    /// </summary>
    private static string Yaml(long seed) => $$"""
        name: purged-cheat
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 2
          shards: 3
          inner-steps: {{InnerSteps}}
          batch-size: 16
          seed: {{seed}}
          threads: 1
          checkpoint-every: 20
          commit-every: 1
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: {{InnerSteps}} }
        budget: { max-total: 2 }
        """;

    /// <summary>
    /// The first training seed for which a lazy worker (default fake fraction) leaves the last step of every round-0
    /// shard honest, whichever shard it takes: its round-0 result then passes a challenge of that step alone.
    /// </summary>
    private static long SeedWhoseRoundZeroFakesMissTheLastStep() => Enumerable.Range(1, 1000).First(seed =>
        Enumerable.Range(0, 3).All(shard => !RecordedTrajectory.FakedStepsOf(seed, 0, shard, InnerSteps,
            WorkerBehavior.Lazy, EnvironmentWorkerFaults.DefaultFakeFraction).Contains(InnerSteps)));

    [Fact]
    public async Task A_cheat_accepted_and_aggregated_is_purged_on_conviction_and_the_job_ends_as_gensyn_train_does()
    {
        var seed = SeedWhoseRoundZeroFakesMissTheLastStep();
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment[BlindChallenges.Variable] = $"{CheatCampaign.Cheater}:1";

        var outcome = CheatCampaign.Run(cluster, Yaml(seed), new CheatCampaign.Cheat("lazy"), TimeSpan.FromMinutes(5));

        // Its round-0 result was accepted, then it was convicted of fraud.
        Assert.Equal("accepted", outcome.Verdicts[0]);
        Assert.Equal("fraud", outcome.Conviction);
        var events = cluster.JobEvents(outcome.JobId);
        var log = string.Join("\n", events);
        var accepted = Assert.Single(events.OfKind("ShardVerified"),
            e => e.WorkerId == CheatCampaign.Cheater && e.Int("round") == 0);
        Assert.Equal("accepted", accepted.Text("outcome"), ignoreCase: true);
        var aggregated = events.OfKind("RoundCompleted").First(e => e.Int("round") == 0);
        var revoked = Assert.Single(events.OfKind("ResultRevoked"),
            e => e.WorkerId == CheatCampaign.Cheater && e.Int("round") == 0);
        var rolledBack = Assert.Single(events.OfKind("RoundsRolledBack"));
        Assert.True(accepted.SequenceNr < aggregated.SequenceNr && aggregated.SequenceNr < revoked.SequenceNr
                    && revoked.SequenceNr < rolledBack.SequenceNr, log);
        Assert.Equal(0, rolledBack.Int("fromRound"));
        Assert.False(string.IsNullOrEmpty(rolledBack.Text("evidenceHash")), log);

        // The job recomputed round 0 without it and ends as honest training does.
        var spec = Path.Combine(cluster.Root, "campaign.yaml");
        Assert.Equal("completed", outcome.State);
        Assert.Equal(CheatCampaign.TrainDigest(cluster, spec), outcome.FinalDigest);

        // status --json shows the purge: the revoked result and the rollback.
        var status = cluster.Cli("status", outcome.JobId, "--json");
        Assert.Equal(0, status.ExitCode);
        var purges = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("purges").EnumerateArray().ToList();
        Assert.Contains(purges, p => p.GetProperty("action").GetString() == "revoked"
                                     && p.GetProperty("round").GetInt32() == 0
                                     && p.GetProperty("workerId").GetString() == CheatCampaign.Cheater);
        Assert.Contains(purges, p => p.GetProperty("action").GetString() == "rolled-back"
                                     && p.GetProperty("round").GetInt32() == 0);

        // Its stake paid, on the devnet: the restitution first (the fraud slash waits for the purge, since it may take
        // the whole stake), then the slash; it holds what an honest worker staked, less what was taken.
        Assert.True(outcome.RestitutionAskedMicros > 0, "the purge charged no restitution");
        Assert.Equal(outcome.RestitutionAskedMicros, outcome.RestitutionTakenMicros);
        Assert.True(outcome.SlashedMicros > 0, "the cheater's stake was not slashed");
        var chain = new SettlementTests.ChainReader(cluster.Chain());
        Assert.Equal(await chain.Bonded(cluster.AddressOf("honest-1")) - outcome.SlashedMicros,
            await chain.Bonded(cluster.AddressOf(CheatCampaign.Cheater)));
    }
}

using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;
using static Gensyn.Tests.Cluster.SettlementTests;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// Inference jobs end to end: real coordinator and workers on their devnet, the CLI depositing the budget; the predictions
/// are verified by recomputed batches, paid on chain, and equal to a local run's.
/// </summary>
[Collection("cluster")]
public class InferenceClusterTests
{
    /// <summary>Weights of a small MNIST MLP (a short training run), written where the inference spec names them.</summary>
    private static void TrainWeights(string directory)
    {
        var train = JobSpecParser.Parse("""
            name: mnist-small
            model: { kind: mlp, hidden: [32] }
            dataset: { name: mnist }
            training: { rounds: 1, shards: 1, inner-steps: 150, batch-size: 64, seed: 3 }
            """, directory);
        var outcome = LocalJobRunner.Run(train, Cli.GensynProcess.DataDirectory);
        CheckpointFile.SaveModel(Path.Combine(directory, "mnist-small.safetensors"), outcome.FinalState, new Dictionary<string, string>());
    }

    private const string MnistInference = """
        name: mnist-predict
        kind: inference
        model: { kind: mlp, hidden: [32] }
        dataset: { name: mnist }
        inference: { weights: mnist-small.safetensors, shards: 4, batch-size: 500 }
        verification: { samples: 3 }
        budget: { max-total: 1 }
        """;

    [Fact]
    public async Task An_inference_job_runs_through_the_cluster_verified_and_settled_with_the_predictions_of_a_local_run()
    {
        using var cluster = TestCluster.Start(workers: 2);
        TrainWeights(cluster.Root);
        var chain = new ChainReader(cluster.Chain());
        var jobId = cluster.Submit(MnistInference);
        var settled = await Settled(cluster, jobId);
        Assert.True(settled.State == JobPhase.Completed, $"{settled.State}: {settled.Reason}\n{cluster.Logs()}");
        Assert.True(settled.IsInference);
        // Its one round has no test figures of its own: the job's accuracy is its predictions'.
        Assert.Null(Assert.Single(settled.RoundHistory).TestAccuracy);

        // Every shard's predictions were verified by recomputed batches, and accepted.
        Assert.Equal(4, settled.Verdicts!.Count);
        Assert.All(settled.Verdicts, v => Assert.Equal(VerdictOutcome.Accepted, v.Outcome));
        Assert.Contains("recomputed batch(es) agree bit for bit", settled.Verdicts[0].Reason);

        // The same predictions as one process computes from the same spec and weights.
        var local = LocalInference.Run(JobSpecParser.Parse(MnistInference, cluster.Root), Cli.GensynProcess.DataDirectory);
        Assert.Equal(local.FinalDigest.ToString(), settled.FinalDigest);
        Assert.Equal(local.Accuracy, settled.TestAccuracy!.Value, 12);
        Assert.True(local.Accuracy > 0.8, $"a 150-step MLP should predict most digits, got {local.Accuracy:P1}");
        var csv = Path.Combine(cluster.Root, "predictions.csv");
        var result = cluster.Cli("result", jobId, "--out", csv, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(local.Csv, await File.ReadAllBytesAsync(csv));

        // Paid on chain like a training round: each worker's withdrawable balance is exactly its payouts, the rest refunded.
        var money = settled.Money!;
        var payouts = PayoutsByAddress(money);
        Assert.True(money.PaidMicros > 0);
        Assert.Equal(money.PaidMicros, payouts.Values.Sum());
        foreach (var w in new[] { "worker-1", "worker-2" })
        {
            var address = cluster.AddressOf(w);
            Assert.Equal(payouts.GetValueOrDefault(address.ToLowerInvariant()), await chain.Withdrawable(address));
        }
        var escrow = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(JobEscrowAbi.JobStatus.Completed, escrow.Status);
        Assert.Equal(money.PaidMicros, (long)escrow.PaidOut);
        Assert.Equal(Gens.ToMicros(1), (long)(escrow.PaidOut + escrow.Refunded));
        Assert.Contains("inference over 4 shard(s)", cluster.Cli("status", jobId).Stdout);
    }

    [Fact]
    public async Task A_worker_that_makes_up_predictions_is_caught_slashed_and_the_shard_is_predicted_again_elsewhere()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        cluster.StartWorker("lazy", environment: new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = "lazy", ["GENSYN_WORKER_FAKE_FRACTION"] = "0.5" });
        cluster.WaitForWorkers(1);
        TrainWeights(cluster.Root);
        var chain = new ChainReader(cluster.Chain());
        var lazy = cluster.AddressOf("lazy");
        var stake = await chain.Bonded(lazy);
        // One shard of 20 batches, every batch recomputed: made-up batches cannot go unseen.
        var jobId = cluster.Submit(MnistInference.Replace("shards: 4", "shards: 1").Replace("samples: 3", "samples: 64"));
        cluster.AwaitCondition(() => cluster.JobEvents(jobId).OfKind("ShardAssigned").Any(e => e.WorkerId == "lazy"),
            TimeSpan.FromSeconds(60), "the lazy worker to take the shard");
        cluster.StartWorker("honest");
        var settled = await Settled(cluster, jobId);

        Assert.True(settled.State == JobPhase.Completed, $"{settled.State}: {settled.Reason}\n{cluster.Logs()}");
        var fraud = Assert.Single(settled.Verdicts!, v => v.Outcome != VerdictOutcome.Accepted);
        Assert.Equal((VerdictOutcome.Fraud, "lazy"), (fraud.Outcome, fraud.WorkerId));
        Assert.Contains(settled.Verdicts!, v => v is { Outcome: VerdictOutcome.Accepted, WorkerId: "honest" });
        var slash = Assert.Single(settled.Money!.Settlements, s => s.Kind == SettlementKind.Slash);
        Assert.Equal(SettlementStatus.Confirmed, slash.Status);
        Assert.Equal(stake - slash.AmountMicros, await chain.Bonded(lazy));
        // The honest re-run gives the same predictions a local run does.
        var local = LocalInference.Run(JobSpecParser.Parse(MnistInference.Replace("shards: 4", "shards: 1"), cluster.Root), Cli.GensynProcess.DataDirectory);
        Assert.Equal(local.FinalDigest.ToString(), settled.FinalDigest);
    }
}

using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Node.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// The market's money end to end: a real coordinator on its devnet, real workers, the CLI quoting, depositing and
/// submitting; what a job is quoted, what it locks and what the chain pays agree.
/// </summary>
[Collection("cluster")]
public class PricingTests
{
    /// <summary>MNIST shards of well under a second each, two rounds of two shards.</summary>
    private static string Yaml(string maxTotal) => $$"""
        name: priced
        model: { kind: mlp, hidden: [256] }
        dataset: { name: mnist }
        training:
          rounds: 2
          shards: 2
          inner-steps: 300
          batch-size: 64
          seed: 3
          threads: 1
          checkpoint-every: 100
          inner-optimizer: { kind: adamw, lr: 0.001 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 2 }
        budget: { max-price-per-hour: 0.5, max-total: {{maxTotal}} }
        """;

    [Fact]
    public async Task A_completed_jobs_actual_cost_lies_within_20_percent_of_its_quote()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, Yaml("1"));

        var quoted = cluster.Cli("quote", spec, "--json");
        Assert.True(quoted.ExitCode == 0, quoted.Stderr);
        var quote = JsonDocument.Parse(quoted.Stdout).RootElement;
        var quotedMicros = quote.GetProperty("costMicros").GetInt64();
        Assert.Equal(Gens.Format(quotedMicros), quote.GetProperty("cost").GetString());
        Assert.Equal(4, quote.GetProperty("results").GetInt64());
        Assert.Equal(1.0, quote.GetProperty("stepWork").GetDouble(), 9);
        Assert.Equal(2, quote.GetProperty("workers").GetInt32());
        Assert.True(quote.GetProperty("fitsBudget").GetBoolean());
        Assert.StartsWith("the clearing price of 2 idle worker(s)", quote.GetProperty("basis").GetString());
        // Neither worker sets --price: each asks its default for the throughput it measured, and the job's demand of
        // two shards clears at the higher of the two asks.
        var rule = Gensyn.Node.Market.CloudPrices.Shipped.DefaultAskFor("cpu", null);
        var workers = JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers")
            .EnumerateArray().ToList();
        Assert.All(workers, w => Assert.Equal(rule.For(w.GetProperty("throughput").GetDouble()), w.GetProperty("price").GetDouble()));
        var asked = workers.Max(w => w.GetProperty("price").GetDouble());
        Assert.Equal(asked, quote.GetProperty("pricePerHour").GetDouble());
        var hours = quote.GetProperty("computeHours").GetDouble();
        Assert.Equal(4 * 300 / quote.GetProperty("stepsPerSecond").GetDouble() / 3600, hours, 12);
        Assert.True(quote.GetProperty("durationSeconds").GetDouble() > 0);
        var references = quote.GetProperty("cloud").GetProperty("references").EnumerateArray().ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r =>
        {
            var instanceHours = 4 * 300 / Gensyn.Node.Market.CloudPrices.Shipped.StepsPerSecondOf(r.GetProperty("class").GetString()!) / 3600.0;
            Assert.Equal(instanceHours, r.GetProperty("hours").GetDouble(), 12);
            Assert.Equal(Math.Max(instanceHours, 60 / 3600.0), r.GetProperty("billedHours").GetDouble(), 12);
            Assert.Equal(r.GetProperty("billedHours").GetDouble() * r.GetProperty("usdPerHour").GetDouble(), r.GetProperty("costUsd").GetDouble(), 12);
        });

        var clock = Stopwatch.StartNew();
        var jobId = cluster.Submit(Yaml("1"));
        var settled = await SettlementTests.Settled(cluster, jobId);
        Assert.Equal(JobPhase.Completed, settled.State);
        var money = settled.Money!;
        var price = settled.Price!;

        // What the job locked is what it was quoted (the market did not move), and it paid every result at it.
        Assert.Equal(asked, price.PricePerHour);
        Assert.Equal(4 * price.ResultPayoutMicros, money.PaidMicros);
        Assert.InRange(money.PaidMicros, 0.8 * quotedMicros, 1.2 * quotedMicros);
        var escrow = new JobEscrowService(new Nethereum.Web3.Web3(cluster.Chain().RpcUrl), cluster.Chain().Escrow);
        var onChain = await escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(money.PaidMicros, (long)onChain.PaidOut);
        Assert.Equal(Gens.ToMicros(1) - money.PaidMicros, (long)onChain.Refunded);
        Assert.Contains(FormattableString.Invariant($"price locked: {asked:0.######} GENS per compute-hour, ") + $"{Gens.Format(price.ResultPayoutMicros)} GENS per accepted result", cluster.Cli("logs", jobId).Stdout);
        Console.WriteLine($"quoted {Gens.Format(quotedMicros)} GENS, paid {Gens.Format(money.PaidMicros)} GENS; " +
                          $"quoted {quote.GetProperty("durationSeconds").GetDouble():F1} s, took {clock.Elapsed.TotalSeconds:F1} s to settle");
    }

    [Fact]
    public async Task A_budget_that_cannot_cover_the_job_at_its_price_is_refused_by_submit_before_depositing_and_by_the_coordinator_after()
    {
        using var cluster = TestCluster.Start(workers: 0);
        var spec = Path.Combine(cluster.Root, "job.yaml");
        const string tooLittle = "0.000001";  // 1 micro-GENS; every accepted result earns at least that, and the job has 4
        File.WriteAllText(spec, Yaml(tooLittle));

        // No worker meets the job: it is priced at its cap and the network's reference throughput.
        var quote = JsonDocument.Parse(cluster.Cli("quote", spec, "--json").Stdout).RootElement;
        Assert.Equal(0.5, quote.GetProperty("pricePerHour").GetDouble());
        Assert.StartsWith("no registered worker meets the job's requirements", quote.GetProperty("basis").GetString());
        Assert.False(quote.GetProperty("fitsBudget").GetBoolean());

        var submitted = cluster.Cli("submit", spec);
        Assert.Equal(2, submitted.ExitCode);
        Assert.Contains($"raise budget.max-total to at least {quote.GetProperty("cost").GetString()}", submitted.Stderr);
        Assert.DoesNotContain("deposited", submitted.Stderr);
        Assert.False(File.Exists(Path.Combine(cluster.DataDir("cli"), "wallet.key")), "submit created a wallet for a job it refused");

        // A requester that deposits anyway (without the CLI's check) is refused by the coordinator, which prices the job itself.
        Assert.Equal(0, Cli.GensynProcess.Run(cluster.DataDir("cli"), "wallet", "new").ExitCode);
        Assert.Equal(0, cluster.Cli("wallet", "faucet").ExitCode);
        var wallet = WorkerKey.Load(Path.Combine(cluster.DataDir("cli"), "wallet.key"));
        var chain = cluster.Chain();
        var signer = ChainContract.Connect(chain.RpcUrl, wallet.ExportPrivateKeyHex(), chain.ChainId);
        var jobId = Gensyn.Actors.Jobs.JobsGateway.NewJobId();
        Assert.Equal(1, (await new GensynTokenService(signer, chain.Token).ApproveAsync(chain.Escrow, new BigInteger(1))).Status.Value);
        Assert.Equal(1, (await new JobEscrowService(signer, chain.Escrow).DepositAsync(EscrowIds.JobKey(jobId), chain.Token, new BigInteger(1),
            (ulong)DateTimeOffset.UtcNow.AddHours(72).ToUnixTimeSeconds())).Status.Value);
        var yaml = File.ReadAllText(spec);
        await using (var client = cluster.Client())
        {
            var reply = await client.Ask(new SubmitJob(yaml, cluster.Root, jobId, wallet.Address, ClaimSigner.Sign(wallet, SubmissionClaim.For(new ClaimDomain(chain.ChainId, chain.Escrow), jobId, yaml))));
            var error = Assert.Single(Assert.IsType<JobRejected>(reply).Errors);
            Assert.Contains("more than its budget.max-total of 0.000001 GENS; raise budget.max-total", error);
        }
        Assert.Empty(JsonDocument.Parse(cluster.Cli("status", "--json").Stdout).RootElement.GetProperty("jobs").EnumerateArray());
    }
}

using System.Numerics;
using System.Text.Json;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// Money end to end: real coordinators on their own devnet (anvil), real workers staking from their keys, the CLI
/// depositing from the requester's wallet; every figure is checked against on-chain balances.
/// </summary>
[Collection("cluster")]
public class SettlementTests
{
    /// <summary>MNIST shards of a few seconds each (so a kill lands mid-shard), 5 GENS deposited, paid at the market's price.</summary>
    private static string MnistYaml(int rounds) => $$"""
        name: mnist-paid
        model: { kind: mlp, hidden: [256] }
        dataset: { name: mnist }
        training:
          rounds: {{rounds}}
          shards: 2
          inner-steps: 400
          batch-size: 128
          seed: 5
          threads: 1
          checkpoint-every: 50
          inner-optimizer: { kind: adamw, lr: 0.001 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 4 }
        budget: { max-total: 5 }
        """;

    /// <summary>One round of two tiny shards, every step challenged, so a lazy worker is caught for sure.</summary>
    private const string CheatYaml = """
        name: paid-cheaters
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: 1
          shards: 2
          inner-steps: 8
          batch-size: 16
          seed: 21
          threads: 1
          checkpoint-every: 4
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: spot-check, samples: 8 }
        budget: { max-total: 1 }
        """;

    /// <summary>Waits until the job has ended and every settlement it needs (the escrow's release last) is on chain.</summary>
    internal static async Task<JobView> Settled(LocalCluster cluster, string jobId)
    {
        await using var client = cluster.Client();
        return await cluster.AwaitConditionAsync(async () =>
            await client.Ask(new GetJobStatus((JobId)jobId)) is JobView { State: JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled, Money: { } m } view
            && m.Pending.Count == 0 && m.Settlements.Any(s => s.Kind is SettlementKind.Complete or SettlementKind.Cancel)
                ? view
                : null, TimeSpan.FromMinutes(5), $"{jobId} to end and settle");
    }

    internal sealed class ChainReader(ChainSettings chain)
    {
        private readonly Web3 _web3 = new(chain.RpcUrl);
        public JobEscrowService Escrow { get; } = new(new Web3(chain.RpcUrl), chain.Escrow);
        public ProviderStakingService Staking { get; } = new(new Web3(chain.RpcUrl), chain.Staking);
        public GensynTokenService Token { get; } = new(new Web3(chain.RpcUrl), chain.Token);

        public async Task<long> Withdrawable(string address) => (long)await Escrow.WithdrawableAsync(address, Token.Address);
        public async Task<long> Withdrawable(string address, string token) => (long)await Escrow.WithdrawableAsync(address, token);
        public async Task<long> Bonded(string address) => (long)await Staking.BondedStakeAsync(address);
        public async Task<long> Balance(string address) => (long)await Token.BalanceOfAsync(address);

        public async Task<TransactionReceipt> Receipt(string hash) => await _web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash);
    }

    /// <summary>What the job's confirmed payouts credit each address, from its money trail.</summary>
    internal static Dictionary<string, long> PayoutsByAddress(MoneyView money) =>
        money.Settlements.Where(s => s is { Kind: SettlementKind.PayRound, Status: SettlementStatus.Confirmed })
            .SelectMany(s => s.Payees).GroupBy(p => p.Address.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Sum(p => p.Micros));

    [Fact]
    public async Task An_honest_job_pays_each_worker_exactly_its_payouts_refunds_the_rest_and_does_not_slash_a_worker_killed_mid_shard()
    {
        using var cluster = TestCluster.Start(workers: 3);
        var chain = new ChainReader(cluster.Chain());
        var workers = new[] { "worker-1", "worker-2", "worker-3" };
        var stakes = new Dictionary<string, long>();
        foreach (var w in workers) stakes[w] = await chain.Bonded(cluster.AddressOf(w));
        Assert.All(stakes.Values, stake => Assert.True(stake >= Gens.ToMicros(10), "a devnet worker stakes the minimum before registering"));

        var jobId = cluster.Submit(MnistYaml(rounds: 2));
        var requester = cluster.AddressOf("cli", "wallet.key");
        await using (var client = cluster.Client())
        {
            var victim = await cluster.AwaitConditionAsync(async () =>
                await client.Ask(new GetJobStatus((JobId)jobId)) is JobView view ? view.Shards.FirstOrDefault(s => s.State == "running" && s.Step is >= 100 and < 350) : null,
                TimeSpan.FromMinutes(3), "a shard past step 100");
            cluster.Kill(cluster.WorkerProcess(victim.WorkerId!));
            var settled = await Settled(cluster, jobId);
            Assert.Equal(JobPhase.Completed, settled.State);
            var money = settled.Money!;

            // Every shard of both rounds is paid once, at the payout of the price the job locked when it started.
            Assert.True(settled.Price!.ResultPayoutMicros > 0);
            Assert.Equal(2 * 2 * settled.Price.ResultPayoutMicros, money.PaidMicros);
            var expected = PayoutsByAddress(money);
            foreach (var w in workers)
            {
                var address = cluster.AddressOf(w);
                Assert.Equal(expected.GetValueOrDefault(address.ToLowerInvariant()), await chain.Withdrawable(address));
            }
            Assert.Equal(money.PaidMicros, expected.Values.Sum());
            Assert.Equal(Gens.ToMicros(5) - money.PaidMicros, money.RefundedMicros);
            Assert.Equal(money.RefundedMicros, await chain.Withdrawable(requester));
            var onChain = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
            Assert.Equal(JobEscrowAbi.JobStatus.Completed, onChain.Status);
            Assert.Equal(money.PaidMicros, (long)onChain.PaidOut);
            Assert.Equal(money.RefundedMicros, (long)onChain.Refunded);

            // A worker that died is a fault, not fraud: nobody is slashed.
            Assert.DoesNotContain(money.Settlements, s => s.Kind == SettlementKind.Slash);
            Assert.Equal(stakes[victim.WorkerId!], await chain.Bonded(cluster.AddressOf(victim.WorkerId!)));
            Assert.Contains($"lost worker {victim.WorkerId}", cluster.Cli("logs", jobId).Stdout);

            // The money trail (status --money) shows every transaction.
            var status = cluster.Cli("status", jobId, "--money");
            Assert.Contains("refunded", status.Stdout);
            foreach (var s in money.Settlements) Assert.Contains(s.TxHash!, status.Stdout);
        }
    }

    [Fact]
    public async Task A_job_whose_spec_names_USDC_is_deposited_paid_and_refunded_in_USDC_and_moves_no_GENS_through_the_escrow()
    {
        using var cluster = TestCluster.Start(workers: 2);
        var chain = new ChainReader(cluster.Chain());
        var (usdc, problem) = await EscrowTokens.FindAsync(chain.Escrow, "USDC");
        Assert.True(usdc is not null, problem);
        var escrowGens = await chain.Balance(cluster.Chain().Escrow);

        var jobId = cluster.Submit(CheatYaml.Replace("budget: { max-total: 1 }", "budget: { token: USDC, max-total: 1 }"));
        var settled = await Settled(cluster, jobId);

        Assert.Equal(JobPhase.Completed, settled.State);
        var job = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(usdc, job.Token, ignoreCase: true);
        var payouts = PayoutsByAddress(settled.Money!);
        Assert.NotEmpty(payouts);
        foreach (var (address, micros) in payouts)
        {
            Assert.Equal(micros, await chain.Withdrawable(address, usdc!));
            Assert.Equal(0, await chain.Withdrawable(address));
        }
        var requester = cluster.AddressOf("cli", "wallet.key");
        Assert.Equal(Gens.ToMicros(1) - payouts.Values.Sum(), await chain.Withdrawable(requester, usdc!));
        Assert.Equal(escrowGens, await chain.Balance(cluster.Chain().Escrow));
    }

    [Fact]
    public async Task A_worker_caught_in_fraud_is_slashed_on_chain_with_the_evidence_hash_and_the_requester_gets_its_share()
    {
        using var cluster = TestCluster.Create();
        cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        cluster.StartWorker("lazy", environment: new Dictionary<string, string> { ["GENSYN_WORKER_BEHAVIOR"] = "lazy" });
        cluster.WaitForWorkers(1);
        var chain = new ChainReader(cluster.Chain());
        var lazy = cluster.AddressOf("lazy");
        var stake = await chain.Bonded(lazy);
        var treasury = await chain.Balance(DevChain.DevAddress(DevChain.TreasuryAccount));

        var jobId = cluster.Submit(CheatYaml);
        var requester = cluster.AddressOf("cli", "wallet.key");
        var requesterBalance = await chain.Balance(requester);
        cluster.AwaitCondition(() => cluster.JobEvents(jobId).OfKind("ShardAssigned").Any(e => e.WorkerId == "lazy"),
            TimeSpan.FromSeconds(60), "the lazy worker to take a shard");
        cluster.StartWorker("honest");
        var settled = await Settled(cluster, jobId);

        var slash = Assert.Single(settled.Money!.Settlements, s => s.Kind == SettlementKind.Slash);
        Assert.Equal(SettlementStatus.Confirmed, slash.Status);
        Assert.Equal(lazy, slash.Provider, ignoreCase: true);
        var slashed = Math.Min(stake, Gens.ToMicros(10));
        Assert.Equal(slashed, slash.AmountMicros);
        Assert.Equal(stake - slashed, await chain.Bonded(lazy));
        // The evidence hash is on chain, in the Slashed event of the slash's transaction.
        var receipt = await chain.Receipt(slash.TxHash!);
        var evidence = Assert.Single(receipt.Logs, l => l.Topics?.Length == 3 && l.Address.Equals(cluster.Chain().Staking, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(slash.EvidenceHash, evidence.Topics[2].ToString(), ignoreCase: true);
        // Half to the requester (on top of its refund), half to the treasury.
        Assert.Equal(requesterBalance + slashed / 2, await chain.Balance(requester));
        Assert.Equal(treasury + slashed - slashed / 2, await chain.Balance(DevChain.DevAddress(DevChain.TreasuryAccount)));
        // The fraud convicts the lazy key: its verdicts do not count against the honest worker's, so the round pays
        // the honest worker, and only it; the rest of the deposit comes back.
        var pay = Assert.Single(settled.Money.Settlements, s => s.Kind == SettlementKind.PayRound);
        Assert.Equal(SettlementStatus.Confirmed, pay.Status);
        Assert.NotEmpty(pay.Payees);
        Assert.DoesNotContain(pay.Payees, p => p.Address.Equals(lazy, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Gens.ToMicros(1) - pay.AmountMicros, settled.Money.RefundedMicros);
    }

    [Fact]
    public async Task A_coordinator_killed_between_sending_a_payout_and_seeing_its_receipt_pays_each_worker_exactly_once_after_restart()
    {
        using var cluster = TestCluster.Create();
        cluster.CoordinatorEnvironment[Gensyn.Testing.Settlement.CrashAfterPayoutSent.Variable] = "1";
        var coordinator = cluster.StartCoordinator("coordinator", LocalCluster.FreePort());
        cluster.StartWorker("worker-1");
        cluster.StartWorker("worker-2");
        cluster.WaitForWorkers(2);
        var jobId = cluster.Submit(MnistYaml(rounds: 2));

        // The coordinator kills itself (SIGKILL) right after sending round 1's payout, before it records the transaction.
        Assert.True(coordinator.WaitForExit(TimeSpan.FromMinutes(4)), "the coordinator did not crash after sending a payout\n" + cluster.Logs());
        Assert.True(coordinator.ExitCode == 137,
            $"the coordinator exited with {coordinator.ExitCode}, not its SIGKILL after the payout\n{cluster.Logs()}");
        cluster.CoordinatorEnvironment.Remove(Gensyn.Testing.Settlement.CrashAfterPayoutSent.Variable);
        cluster.RestartCoordinator();

        var settled = await Settled(cluster, jobId);
        Assert.Equal(JobPhase.Completed, settled.State);
        // The payout sent before the crash was found on chain after the restart, and not sent again.
        var posted = cluster.JobEvents(jobId).OfKind("SettlementPosted").ToList();
        Assert.True(posted.Any(p => p.Data.GetProperty("order").GetProperty("kind").GetString() == "payRound"
                                    && p.Data.GetProperty("outcome").GetProperty("foundOnChain").GetBoolean()),
            $"no payout was found already on chain\n{posted.Describe()}");
        var chain = new ChainReader(cluster.Chain());
        var money = settled.Money!;
        var payouts = money.Settlements.Where(s => s.Kind == SettlementKind.PayRound).ToList();
        Assert.Equal(2, payouts.Count);
        Assert.All(payouts, p => Assert.Equal(SettlementStatus.Confirmed, p.Status));
        var expected = PayoutsByAddress(money);
        Assert.Equal(2 * 2 * settled.Price!.ResultPayoutMicros, expected.Values.Sum());
        foreach (var w in new[] { "worker-1", "worker-2" })
        {
            var address = cluster.AddressOf(w);
            Assert.Equal(expected.GetValueOrDefault(address.ToLowerInvariant()), await chain.Withdrawable(address));
        }
        var onChain = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(expected.Values.Sum(), (long)onChain.PaidOut);
        Assert.Equal(Gens.ToMicros(5), (long)(onChain.PaidOut + onChain.Refunded));
    }

    [Fact]
    public void A_restarted_coordinator_reuses_its_devnet_contracts_and_chain_state()
    {
        using var cluster = TestCluster.Start(workers: 0);
        var contracts = Path.Combine(cluster.DataDir("coordinator"), "chain", "contracts.json");
        var recorded = File.ReadAllText(contracts);
        Assert.Equal(0, Cli.GensynProcess.Run(cluster.DataDir("requester"), "wallet", "new").ExitCode);
        var funded = Cli.GensynProcess.Run(cluster.DataDir("requester"), "wallet", "faucet", "123.5", "--coordinator", cluster.Coordinators);
        Assert.True(funded.ExitCode == 0, funded.Stderr);
        var before = JsonDocument.Parse(Cli.GensynProcess.Run(cluster.DataDir("requester"), "wallet", "balance", "--json", "--coordinator", cluster.Coordinators).Stdout)
            .RootElement.GetProperty("gens").GetString();

        // A clean stop takes the devnet down with the coordinator (its state is saved); a restart brings both back.
        var anvil = JsonDocument.Parse(File.ReadAllText(Path.Combine(cluster.DataDir("coordinator"), "chain", "devnet.json"))).RootElement.GetProperty("Pid").GetInt32();
        cluster.StopCoordinator();
        Assert.True(System.Diagnostics.Process.GetProcesses().All(p => p.Id != anvil), "the devnet outlived a clean stop of its coordinator");
        cluster.StartAgain();

        Assert.Equal(recorded, File.ReadAllText(contracts));
        var after = Cli.GensynProcess.Run(cluster.DataDir("requester"), "wallet", "balance", "--json", "--coordinator", cluster.Coordinators);
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Equal("123.5", before);
        Assert.Equal(before, JsonDocument.Parse(after.Stdout).RootElement.GetProperty("gens").GetString());
    }

    [Fact]
    public async Task Submitting_without_enough_balance_or_allowance_or_without_a_deposit_is_a_clear_error_and_creates_no_job()
    {
        using var cluster = TestCluster.Start(workers: 0);
        var spec = Path.Combine(cluster.Root, "job.yaml");
        File.WriteAllText(spec, CheatYaml);
        Cli.GensynProcess.Result Run(string node, params string[] args) => Cli.GensynProcess.Run(cluster.DataDir(node), [.. args, "--coordinator", cluster.Coordinators]);

        var created = Cli.GensynProcess.Run(cluster.DataDir("poor"), "wallet", "new");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var poor = Run("poor", "submit", spec);
        Assert.Equal(2, poor.ExitCode);
        Assert.Contains("holds 0 GENS", poor.Stderr);
        Assert.Contains("wallet faucet", poor.Stderr);

        var funded = Run("poor", "wallet", "faucet");
        Assert.True(funded.ExitCode == 0, funded.Stderr);
        var unapproved = Run("poor", "submit", spec, "--no-approve");
        Assert.Equal(2, unapproved.ExitCode);
        Assert.Contains("drop --no-approve", unapproved.Stderr);

        // A requester that skips the deposit altogether is refused by the coordinator.
        await using (var client = Gensyn.Node.Cli.CoordinatorClient.Connect(cluster.Coordinators, dataDirectory: cluster.DataDir("poor")))
        {
            var wallet = Gensyn.Contracts.Signing.WorkerKey.Load(Path.Combine(cluster.DataDir("poor"), "wallet.key"));
            var network = Gensyn.Contracts.Signing.ClaimDomain.Of(await client.Ask(new GetChainInfo()));
            var signature = Gensyn.Contracts.Signing.ClaimSigner.Sign(wallet, Gensyn.Contracts.Signing.SubmissionClaim.For(network, "job-0badc0de", CheatYaml));
            var reply = await client.Ask(new SubmitJob(CheatYaml, cluster.Root, (JobId)"job-0badc0de", wallet.Address, signature));
            var rejected = Assert.IsType<JobRejected>(reply);
            Assert.Contains("no deposit for job-0badc0de", Assert.Single(rejected.Errors));
            // Nor can anyone start a job on someone else's deposit: the submission must be signed by the payer.
            var forged = await client.Ask(new SubmitJob(CheatYaml, cluster.Root, (JobId)"job-0badc0de", wallet.Address, null));
            Assert.Contains("is not signed by its payer", Assert.Single(Assert.IsType<JobRejected>(forged).Errors));
        }

        var jobs = cluster.Cli("status", "--json");
        Assert.Equal(0, jobs.ExitCode);
        Assert.Empty(JsonDocument.Parse(jobs.Stdout).RootElement.GetProperty("jobs").EnumerateArray());
    }
}

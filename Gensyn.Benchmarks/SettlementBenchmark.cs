using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using Akka.Actor;
using Akka.Configuration;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Web3;

namespace Gensyn.Benchmarks;

/// <summary>
/// What settling a job on chain costs, on a fresh anvil devnet with the contracts deployed the way a dev node deploys them:
/// (1) gas per transaction of a job's life (approve + deposit, payRound by number of workers, complete, slash, withdraw);
/// (2) the latency of a round's payout through the real <see cref="SettlementActor"/> (SQLite journal: every order is
/// persisted before it is sent, its hash once known, its outcome once mined) against a direct ChainContract payRound on
/// the same chain in the same run, and the latency of a duplicate order (answered from the outbox, no transaction).
/// </summary>
public static class SettlementBenchmark
{
    private const long OneGens = Gens.MicrosPerGens;
    private static readonly int[] WorkerCounts = [1, 2, 4, 8, 16];

    public static void Run(int rounds = 30, int payees = 4, int warmup = 2) => RunAsync(rounds, payees, warmup).GetAwaiter().GetResult();

    private static async Task RunAsync(int rounds, int payees, int warmup)
    {
        var total = Stopwatch.StartNew();
        using var chain = await DevChain.StartAsync();
        var minimumStake = new BigInteger(100 * OneGens);
        var addresses = await chain.DeploySettlementAsync(minimumStake, unbondingDelaySeconds: 3_600);
        Console.WriteLine($"settlement: fresh anvil devnet (chain {DevChain.ChainId}, {chain.RpcUrl}), GensynToken + ProviderStaking + JobEscrow deployed in {total.Elapsed.TotalSeconds:F1} s");

        const int requester = 2, provider = 3;
        var admin = new GensynTokenService(chain.Connect(DevChain.AdminAccount), addresses.Token);
        await admin.MintAsync(DevChain.DevAddress(requester), 1_000_000 * OneGens);
        await admin.MintAsync(DevChain.DevAddress(provider), 1_000 * OneGens);

        await GasAsync(chain, addresses, requester, provider);
        await LatencyAsync(chain, addresses, requester, rounds, payees, warmup);
        Console.WriteLine($"  (whole benchmark: {total.Elapsed.TotalSeconds:F1} s)");
    }

    // ---------------------------------------------------------------- gas

    private static async Task GasAsync(DevChain chain, SettlementAddresses addresses, int requester, int provider)
    {
        var requesterWeb3 = chain.Connect(requester);
        var token = new GensynTokenService(requesterWeb3, addresses.Token);
        var escrow = new JobEscrowService(requesterWeb3, addresses.Escrow);
        var authority = new JobEscrowService(chain.Connect(DevChain.SettlementAuthorityAccount), addresses.Escrow);
        var deadline = (ulong)DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
        var budget = new BigInteger(10_000 * OneGens);

        Console.WriteLine("  gas per transaction (receipt gasUsed; EIP-1559 transactions on anvil's default hardfork):");

        // A requester's deposit, the way `gensyn submit` makes it: approve exactly the budget, then deposit it.
        var approve1 = Gas(await token.ApproveAsync(addresses.Escrow, budget));
        var jobA = EscrowIds.JobKey("bench-gas-a");
        var deposit1 = Gas(await escrow.DepositAsync(jobA, addresses.Token, budget, deadline));
        var approve2 = Gas(await token.ApproveAsync(addresses.Escrow, budget));
        var jobB = EscrowIds.JobKey("bench-gas-b");
        var deposit2 = Gas(await escrow.DepositAsync(jobB, addresses.Token, budget, deadline));
        Console.WriteLine($"    approve (escrow allowance = the budget)  : {approve1,9:N0} gas (again for the next job: {approve2:N0} gas)");
        Console.WriteLine($"    deposit (first job in the escrow)        : {deposit1,9:N0} gas");
        Console.WriteLine($"    deposit (next job)                       : {deposit2,9:N0} gas   -> approve + deposit = {approve2 + deposit2:N0} gas per job");

        // payRound: the job's first round also turns its paidOut from zero to non-zero; measure it apart.
        var step = 0;
        var firstWorker = NewWorkers(1);
        var firstRound = Gas(await authority.PayRoundAsync(jobA, EscrowIds.SettlementId("bench-gas-a", $"round-{step++}"),
            firstWorker.Select(w => w.GetPublicAddress()).ToList(), [OneGens], 1, 1));
        Console.WriteLine($"    payRound, a job's first round, 1 worker  : {firstRound,9:N0} gas (job's paidOut goes from 0 to non-zero)");

        // Then per number of workers: new payees (their first credit: a zero withdrawable slot set) and the same payees again.
        var fresh = new List<(int N, long Gas)>();
        var repeat = new List<(int N, long Gas)>();
        var allWorkers = new List<EthECKey>(firstWorker);
        foreach (var n in WorkerCounts)
        {
            var workers = NewWorkers(n);
            allWorkers.AddRange(workers);
            var list = workers.Select(w => w.GetPublicAddress()).ToList();
            var amounts = workers.Select(_ => new BigInteger(OneGens)).ToList();
            fresh.Add((n, Gas(await authority.PayRoundAsync(jobA, EscrowIds.SettlementId("bench-gas-a", $"round-{step++}"), list, amounts, (uint)n, (uint)n))));
            repeat.Add((n, Gas(await authority.PayRoundAsync(jobA, EscrowIds.SettlementId("bench-gas-a", $"round-{step++}"), list, amounts, (uint)n, (uint)n))));
        }
        Console.WriteLine("    payRound by workers per round (1 GENS each, match rate 100%):");
        Console.WriteLine("      workers | new payees: total gas, gas/worker, marginal gas/extra worker | same payees again: total gas, gas/worker, marginal gas/extra worker");
        for (var i = 0; i < WorkerCounts.Length; i++)
        {
            var n = WorkerCounts[i];
            string Marginal(List<(int N, long Gas)> s) => i == 0 ? "-" : $"{(double)(s[i].Gas - s[i - 1].Gas) / (n - WorkerCounts[i - 1]):N0}";
            Console.WriteLine($"      {n,7} | {fresh[i].Gas,10:N0} gas, {fresh[i].Gas / n,7:N0} gas/worker, {Marginal(fresh),7} gas/extra worker " +
                              $"| {repeat[i].Gas,10:N0} gas, {repeat[i].Gas / n,7:N0} gas/worker, {Marginal(repeat),7} gas/extra worker");
        }
        var (freshSlope, freshBase, freshR2) = Fit(fresh);
        var (repeatSlope, repeatBase, repeatR2) = Fit(repeat);
        Console.WriteLine($"    payRound fit, new payees   : {freshBase:N0} gas + {freshSlope:N0} gas per worker (least squares over n = 1..16, R^2 = {freshR2:F5})");
        Console.WriteLine($"    payRound fit, same payees  : {repeatBase:N0} gas + {repeatSlope:N0} gas per worker (least squares over n = 1..16, R^2 = {repeatR2:F5})");

        // complete: closes the job and credits the remainder to the requester (its first credit).
        var completeA = Gas(await authority.CompleteAsync(jobA, EscrowIds.SettlementId("bench-gas-a", "complete")));
        var completeB = Gas(await authority.CompleteAsync(jobB, EscrowIds.SettlementId("bench-gas-b", "complete")));
        Console.WriteLine($"    complete (release + refund credit)       : {completeA,9:N0} gas (requester's first credit; with a credit already waiting: {completeB:N0} gas)");

        // slash: a provider stakes (approve + stake), then is slashed twice for two frauds, half to the requester, half to the treasury.
        var providerWeb3 = chain.Connect(provider);
        var approveStake = Gas(await new GensynTokenService(providerWeb3, addresses.Token).ApproveAsync(addresses.Staking, 200 * OneGens));
        var stake = Gas(await new ProviderStakingService(providerWeb3, addresses.Staking).StakeAsync(200 * OneGens));
        var staking = new ProviderStakingService(chain.Connect(DevChain.SettlementAuthorityAccount), addresses.Staking);
        var slash1 = Gas(await staking.SlashAsync(DevChain.DevAddress(provider), 10 * OneGens, EscrowIds.EvidenceHash("bench fraud 1"), DevChain.DevAddress(requester), 5_000));
        var slash2 = Gas(await staking.SlashAsync(DevChain.DevAddress(provider), 10 * OneGens, EscrowIds.EvidenceHash("bench fraud 2"), DevChain.DevAddress(requester), 5_000));
        Console.WriteLine($"    stake (provider: approve + stake 200)    : {approveStake:N0} + {stake:N0} = {approveStake + stake:N0} gas");
        Console.WriteLine($"    slash (10 GENS, 50% to the requester)    : {slash1,9:N0} gas (treasury's first GENS; next slash: {slash2:N0} gas)");

        // withdraw: the requester takes its refund credits; a worker (a fresh address, funded with ETH only) takes its payouts.
        var withdrawRequester = Gas(await escrow.WithdrawAsync(addresses.Token));
        var worker = allWorkers[^1];
        await DevFaucet.FundAsync(chain.RpcUrl, addresses.Token, worker.GetPublicAddress(), 0, CancellationToken.None);
        var workerWeb3 = ChainContract.Connect(chain.RpcUrl, worker.GetPrivateKey(), DevChain.ChainId, receiptPollingMilliseconds: 5);
        var withdrawWorker = Gas(await new JobEscrowService(workerWeb3, addresses.Escrow).WithdrawAsync(addresses.Token));
        Console.WriteLine($"    withdraw (worker: its first GENS)        : {withdrawWorker,9:N0} gas");
        Console.WriteLine($"    withdraw (requester: refund, holds GENS) : {withdrawRequester,9:N0} gas");
        var fixedGas = approve2 + deposit2 + completeB;
        var roundGas = repeatBase + repeatSlope * 4;
        Console.WriteLine($"    one job, 4 workers, R rounds             : approve + deposit + complete = {fixedGas:N0} gas, plus ~{roundGas:N0} gas per round (same payees; " +
                          $"R = 10: ~{fixedGas + 10 * roundGas:N0} gas), plus one withdraw per payee");
    }

    private static List<EthECKey> NewWorkers(int n) => Enumerable.Range(0, n).Select(_ => EthECKey.GenerateKey()).ToList();

    private static long Gas(TransactionReceipt receipt) => ChainRuntime.GasOf(receipt);

    private static (double Slope, double Intercept, double R2) Fit(List<(int N, long Gas)> points)
    {
        var mx = points.Average(p => (double)p.N);
        var my = points.Average(p => (double)p.Gas);
        var sxy = points.Sum(p => (p.N - mx) * (p.Gas - my));
        var sxx = points.Sum(p => (p.N - mx) * (p.N - mx));
        var syy = points.Sum(p => (p.Gas - my) * (p.Gas - my));
        var slope = sxy / sxx;
        return (slope, my - slope * mx, sxy * sxy / (sxx * syy));
    }

    // ---------------------------------------------------------------- latency

    private static async Task LatencyAsync(DevChain chain, SettlementAddresses addresses, int requester, int rounds, int payees, int warmup)
    {
        var settings = new ChainSettings(chain.RpcUrl, DevChain.ChainId, addresses.Token, addresses.Staking, addresses.Escrow, IsDevnet: true);
        var runtime = await ChainRuntime.ConnectAsync(settings, DevChain.DevPrivateKeys[DevChain.SettlementAuthorityAccount], "the benchmark's deployment");

        // One job paid through the actor, one paid directly; both deposited by the requester, both paying the same payees.
        var requesterWeb3 = chain.Connect(requester);
        var token = new GensynTokenService(requesterWeb3, addresses.Token);
        var escrow = new JobEscrowService(requesterWeb3, addresses.Escrow);
        var deadline = (ulong)DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
        var budget = new BigInteger(100_000 * OneGens);
        const string actorJob = "bench-actor", directJob = "bench-direct";
        foreach (var job in new[] { actorJob, directJob })
        {
            await token.ApproveAsync(addresses.Escrow, budget);
            await escrow.DepositAsync(EscrowIds.JobKey(job), addresses.Token, budget, deadline);
        }
        var workers = NewWorkers(payees).Select((k, i) => new SettlementPayee($"worker-{i}", k.GetPublicAddress(), OneGens)).ToList();

        var journalDir = Path.Combine(Path.GetTempPath(), $"gensyn-bench-settlement-{Guid.NewGuid():N}");
        Directory.CreateDirectory(journalDir);
        var db = Path.Combine(journalDir, "journal.db");
        var system = ActorSystem.Create("settlement-bench", Config(db));
        try
        {
            var waiting = new ConcurrentDictionary<string, TaskCompletionSource<SettlementSettled>>();
            var notify = system.ActorOf(Props.Create(() => new Collector(waiting)), "notify");
            var settlement = system.ActorOf(SettlementActor.Props(ChainLink.Of(runtime), notify), SettlementActor.SingletonName);

            async Task<(double Ms, SettlementSettled Outcome)> ThroughActor(SettlementOrder order)
            {
                var done = new TaskCompletionSource<SettlementSettled>(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting[order.SettlementId] = done;
                var clock = Stopwatch.StartNew();
                settlement.Tell(order, notify);
                var outcome = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
                var ms = clock.Elapsed.TotalMilliseconds;
                if (outcome.Status != SettlementStatus.Confirmed)
                    throw new InvalidOperationException($"{order.Label} was not confirmed: {outcome.Status} {outcome.Reason}");
                return (ms, outcome);
            }

            async Task<(double Ms, long Gas)> Direct(int round)
            {
                var clock = Stopwatch.StartNew();
                var receipt = await runtime.Escrow.PayRoundAsync(EscrowIds.JobKey(directJob), EscrowIds.SettlementId(directJob, $"round-{round}"),
                    workers.Select(w => w.Address).ToList(), workers.Select(w => new BigInteger(w.Micros)).ToList(), (uint)workers.Count, (uint)workers.Count);
                return (clock.Elapsed.TotalMilliseconds, Gas(receipt));
            }

            // The same transaction without Nethereum's receipt wait: send, then ask for the receipt every millisecond.
            var emptyFirstPolls = 0;
            async Task<double> Raw(int round)
            {
                var clock = Stopwatch.StartNew();
                var hash = await runtime.Signer.Eth.GetContractTransactionHandler<JobEscrowAbi.PayRoundFunction>().SendRequestAsync(addresses.Escrow,
                    new JobEscrowAbi.PayRoundFunction
                    {
                        JobId = EscrowIds.JobKey(directJob), SettlementId = EscrowIds.SettlementId(directJob, $"raw-round-{round}"),
                        Workers = workers.Select(w => w.Address).ToList(), Amounts = workers.Select(w => new BigInteger(w.Micros)).ToList(), Accepted = (uint)workers.Count, Judged = (uint)workers.Count,
                    });
                TransactionReceipt? receipt;
                var polls = 0;
                while ((receipt = await runtime.ReceiptAsync(hash)) is null)
                {
                    polls++;
                    await Task.Delay(1);
                }
                if (polls > 0) emptyFirstPolls++;
                if (receipt.Status?.Value != 1) throw new TransactionRevertedException("payRound", hash);
                return clock.Elapsed.TotalMilliseconds;
            }

            SettlementOrder Order(int round) =>
                new(EscrowIds.Hex(EscrowIds.SettlementId(actorJob, $"round-{round}")), (JobId)actorJob, SettlementKind.PayRound, round, workers, workers.Count, workers.Count);

            // Warm-up (journal recovery and table creation, JIT, connection pools), alternating, not counted.
            for (var r = 0; r < warmup; r++)
            {
                await ThroughActor(Order(r));
                await Direct(r);
                await Raw(r);
            }

            // Timed: alternate an order through the actor and a direct payRound, one at a time (the actor is idle when each starts).
            var actorMs = new List<double>();
            var directMs = new List<double>();
            var rawMs = new List<double>();
            var outcomes = new List<SettlementSettled>();
            long directGas = 0;
            for (var r = warmup; r < warmup + rounds; r++)
            {
                var (ms, outcome) = await ThroughActor(Order(r));
                actorMs.Add(ms);
                outcomes.Add(outcome);
                var (dms, gas) = await Direct(r);
                directMs.Add(dms);
                directGas = gas;
                rawMs.Add(await Raw(r));
            }

            // Duplicates: every timed order once more, same settlement id; the outbox answers the sender with the recorded outcome.
            var nonceBefore = await TransactionCount(runtime.Signer, runtime.SettlementAuthority);
            var blockBefore = (await runtime.Signer.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
            var duplicateMs = new List<double>();
            for (var i = 0; i < outcomes.Count; i++)
            {
                var (ms, again) = await ThroughActor(Order(warmup + i));
                if (again.TxHash != outcomes[i].TxHash)
                    throw new InvalidOperationException($"a duplicate of round {warmup + i} got another transaction ({again.TxHash}, first {outcomes[i].TxHash})");
                duplicateMs.Add(ms);
            }
            var nonceAfter = await TransactionCount(runtime.Signer, runtime.SettlementAuthority);
            var blockAfter = (await runtime.Signer.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
            if (nonceAfter != nonceBefore || blockAfter != blockBefore)
                throw new InvalidOperationException($"duplicates sent transactions: nonce {nonceBefore} -> {nonceAfter}, block {blockBefore} -> {blockAfter}");

            var paid = (await runtime.Escrow.JobAsync(EscrowIds.JobKey(actorJob))).PaidOut;
            var expected = (warmup + rounds) * payees * OneGens;
            if (paid != expected) throw new InvalidOperationException($"the actor's job paid {Gens.Format(paid)} GENS, expected {Gens.Format(expected)} GENS");

            Console.WriteLine($"  settlement latency per round: {rounds} payRound orders of {payees} payees each (after {warmup} warm-up), one at a time, Tell -> SettlementSettled;");
            Console.WriteLine($"  the actor journals to SQLite ({db}); baselines on the same key and chain, alternated with the actor's rounds:");
            Console.WriteLine("  direct = ChainContract.SendAsync (runtime.Escrow.PayRoundAsync: send, then Nethereum's SendRequestAndWaitForReceiptAsync);");
            Console.WriteLine("  raw = the same send, then eth_getTransactionReceipt every 1 ms until mined");
            Console.WriteLine($"    SettlementActor round   : {Stats(actorMs)}   (gas {outcomes[^1].GasUsed:N0} per round)");
            Console.WriteLine($"    direct payRound         : {Stats(directMs)}   (gas {directGas:N0} per round)");
            Console.WriteLine($"    raw payRound            : {Stats(rawMs)}");
            Console.WriteLine($"    actor / direct          : median {Percentile(actorMs, 0.5) / Percentile(directMs, 0.5):F2}x, p90 {Percentile(actorMs, 0.9) / Percentile(directMs, 0.9):F2}x, " +
                              $"max {actorMs.Max() / directMs.Max():F2}x; {Percentile(actorMs, 0.5) - Percentile(directMs, 0.5):+0.00;-0.00} ms per round at the median");
            Console.WriteLine($"    actor / raw             : median {Percentile(actorMs, 0.5) / Percentile(rawMs, 0.5):F2}x, p90 {Percentile(actorMs, 0.9) / Percentile(rawMs, 0.9):F2}x, " +
                              $"max {actorMs.Max() / rawMs.Max():F2}x; {Percentile(actorMs, 0.5) - Percentile(rawMs, 0.5):+0.00;-0.00} ms per round at the median (3 journal writes, a settlementUsed check, actor hops)");
            Console.WriteLine($"    receipt not there at the first poll right after the send: {emptyFirstPolls} of {rawMs.Count} raw rounds " +
                              "(direct then polls again after 10 ms, the devnet's receipt-poll interval; the actor re-checks after 20 ms)");
            Console.WriteLine($"    duplicate order         : {Stats(duplicateMs)}   ({duplicateMs.Count} duplicates answered from the outbox with the first transaction's hash; " +
                              $"settlement key's nonce {nonceBefore} -> {nonceAfter}, block {blockBefore} -> {blockAfter}: no transaction)");
            Console.WriteLine($"    paid through the actor  : {Gens.Format(paid)} GENS for {warmup + rounds} rounds (each settlement id once)");
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(journalDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<BigInteger> TransactionCount(IWeb3 web3, string address) =>
        (await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(address, BlockParameter.CreatePending())).Value;

    /// <summary>A plain local ActorSystem with cluster.hocon's persistence section, pointed at a SQLite file, and the project's serializers.</summary>
    private static Config Config(string db) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters-during-shutdown = off
          persistence {
            journal {
              plugin = "akka.persistence.journal.sql"
              sql {
                class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                auto-initialize = on
                connection-string = "Data Source={{db}}"
                provider-name = "SQLite.MS"
              }
            }
            snapshot-store {
              plugin = "akka.persistence.snapshot-store.sql"
              sql {
                class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                auto-initialize = on
                connection-string = "Data Source={{db}}"
                provider-name = "SQLite.MS"
              }
            }
          }
        }
        """).WithFallback(ConfigurationFactory.ParseString(SerializationConfig.Hocon));

    private static string Stats(List<double> ms) =>
        $"median {Percentile(ms, 0.5),7:F2} ms, p90 {Percentile(ms, 0.9),7:F2} ms, max {ms.Max(),7:F2} ms";

    /// <summary>Nearest-rank percentile (the median of an even count is the mean of the middle two).</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (p == 0.5 && sorted.Count % 2 == 0) return (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The SettlementActor's notify target (and the sender of every order): completes whoever waits for that settlement id.</summary>
    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentDictionary<string, TaskCompletionSource<SettlementSettled>> waiting) =>
            Receive<SettlementSettled>(s =>
            {
                if (waiting.TryRemove(s.SettlementId, out var done)) done.TrySetResult(s);
            });
    }
}

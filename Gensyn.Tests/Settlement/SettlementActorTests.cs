using System.Numerics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Web3;
using Xunit.Abstractions;

namespace Gensyn.Tests.Settlement;

/// <summary>
/// One anvil for <see cref="SettlementActorTests"/>, with the settlement contracts deployed the way a dev node deploys
/// them (dev account 1 is the settlement authority), GENS minted to the requester and the providers, and the requester's
/// escrow allowance in place. Tests share it (they run one at a time): each uses its own job, payees and providers.
/// </summary>
public sealed class SettlementChain : IAsyncLifetime
{
    public const int Requester = 2;
    public const int StakedProvider = 3;
    public const int RichProvider = 4;
    public const int UnstakedProvider = 5;

    public DevChain Chain { get; private set; } = null!;
    public SettlementAddresses Addresses { get; private set; } = null!;
    public ChainSettings Settings { get; private set; } = null!;

    /// <summary>Reads the chain directly (never through a test's proxy).</summary>
    public Web3 Reader { get; private set; } = null!;

    public JobEscrowService Escrow => new(Reader, Addresses.Escrow);
    public ProviderStakingService Staking => new(Reader, Addresses.Staking);
    public GensynTokenService Token => new(Reader, Addresses.Token);

    public static string Authority => DevChain.DevAddress(DevChain.SettlementAuthorityAccount);

    public async Task InitializeAsync()
    {
        Chain = await DevChain.StartAsync();
        Addresses = await Chain.DeploySettlementAsync(Gens.ToMicros(100), unbondingDelaySeconds: 3_600);
        Settings = new ChainSettings(Chain.RpcUrl, DevChain.ChainId, Addresses.Token, Addresses.Staking, Addresses.Escrow, IsDevnet: true);
        Reader = Chain.Connect(DevChain.AdminAccount);
        var owner = new GensynTokenService(Chain.Connect(DevChain.AdminAccount), Addresses.Token);
        foreach (var account in new[] { Requester, StakedProvider, RichProvider })
            await owner.MintAsync(DevChain.DevAddress(account), Gens.ToMicros(1_000_000));
        await new GensynTokenService(Chain.Connect(Requester), Addresses.Token).ApproveAsync(Addresses.Escrow, BigInteger.Pow(2, 255));
    }

    /// <summary>The coordinator's runtime: the settlement key, checked at connect, over <paramref name="rpcUrl"/> (anvil itself by default).</summary>
    public Task<ChainRuntime> ConnectAsync(string? rpcUrl = null) =>
        ChainRuntime.ConnectAsync(Settings with { RpcUrl = rpcUrl ?? Chain.RpcUrl }, DevChain.DevPrivateKeys[DevChain.SettlementAuthorityAccount], "the test deployment");

    /// <summary>The requester deposits <paramref name="micros"/> for <paramref name="jobId"/>, as `gensyn submit` does.</summary>
    public Task DepositAsync(string jobId, long micros) =>
        new JobEscrowService(Chain.Connect(Requester), Addresses.Escrow)
            .DepositAsync(EscrowIds.JobKey(jobId), Addresses.Token, micros, (ulong)DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds());

    /// <summary>How many transactions the settlement key has sent (mined or pending).</summary>
    public async Task<BigInteger> AuthorityNonceAsync() =>
        (await Reader.Eth.Transactions.GetTransactionCount.SendRequestAsync(Authority, BlockParameter.CreatePending())).Value;

    public Task<TransactionReceipt> ReceiptAsync(string txHash) => Reader.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(txHash);

    public Task DisposeAsync()
    {
        Chain?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The SettlementActor against a real anvil: every order is settled once (duplicates, restarts, a lost hash), reverts are
/// final with their decoded reason, slashes take what the provider has, and an RPC outage only delays a payout.
/// The journal is Akka's in-memory journal: a second actor with the same persistence id in the same system recovers it.
/// </summary>
public sealed class SettlementActorTests(SettlementChain chain, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Config, output: output), IClassFixture<SettlementChain>
{
    /// <summary>GENS a slash takes (at most the provider's stake); above the 100 GENS stake so that the stake is what limits it.</summary>
    private const long SlashGens = 150;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = INFO
          persistence {
            journal.plugin = "akka.persistence.journal.inmem"
            snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
          }
        }
        gensyn.settlement {
          slash-amount = {{SlashGens}}
          requester-share-bps = 5000
        }
        """).WithFallback(ConfigurationFactory.ParseString(SerializationConfig.Hocon));

    private static string NewJobId(string what) => $"sat-{what}-{Guid.NewGuid():N}"[..28];

    private static List<SettlementPayee> NewPayees(params long[] micros) =>
        micros.Select((m, i) => new SettlementPayee($"worker-{i + 1}", EthECKey.GenerateKey().GetPublicAddress(), m)).ToList();

    private static SettlementOrder Payout(string jobId, int round, IReadOnlyList<SettlementPayee> payees, int? accepted = null, int? judged = null) =>
        new(EscrowIds.Hex(EscrowIds.SettlementId(jobId, $"round-{round}")), (JobId)jobId, SettlementKind.PayRound, round, payees,
            accepted ?? payees.Count, judged ?? payees.Count);

    private static SettlementOrder Slash(string jobId, int provider, string evidence) =>
        new(EscrowIds.Hex(EscrowIds.SettlementId(jobId, $"slash-{provider}")), (JobId)jobId, SettlementKind.Slash, 0, [], 0, 0,
            Provider: DevChain.DevAddress(provider), EvidenceHash: EscrowIds.Hex(EscrowIds.EvidenceHash(evidence)),
            Requester: DevChain.DevAddress(SettlementChain.Requester));

    private IActorRef StartSettlement(ChainRuntime runtime, TestProbe notify) =>
        Sys.ActorOf(SettlementActor.Props(ChainLink.Of(runtime), notify.Ref), SettlementActor.SingletonName);

    private async Task AssertCreditedAsync(IEnumerable<SettlementPayee> payees)
    {
        foreach (var payee in payees)
            Assert.Equal(new BigInteger(payee.Micros), await chain.Escrow.WithdrawableAsync(payee.Address, chain.Addresses.Token));
    }

    [Fact]
    public async Task A_payout_order_sent_three_times_is_paid_once_and_a_later_copy_gets_the_same_outcome()
    {
        var jobId = NewJobId("once");
        await chain.DepositAsync(jobId, Gens.ToMicros(100));
        var runtime = await chain.ConnectAsync();
        var notify = CreateTestProbe();
        var asker = CreateTestProbe();
        var settlement = StartSettlement(runtime, notify);
        var payees = NewPayees(Gens.ToMicros(3), Gens.ToMicros(5.5));
        var order = Payout(jobId, 0, payees);
        var nonceBefore = await chain.AuthorityNonceAsync();

        for (var i = 0; i < 3; i++) settlement.Tell(order, asker.Ref);

        var outcome = await notify.ExpectMsgAsync<SettlementSettled>(Patience);
        Assert.Equal(SettlementStatus.Confirmed, outcome.Status);
        Assert.Equal(order.SettlementId, outcome.SettlementId);
        Assert.Equal(jobId, outcome.JobId);
        Assert.Equal(SettlementKind.PayRound, outcome.Kind);
        Assert.Equal(Gens.ToMicros(8.5), outcome.AmountMicros);
        Assert.NotNull(outcome.TxHash);
        var receipt = await chain.ReceiptAsync(outcome.TxHash);
        Assert.Equal(1, (int)receipt.Status.Value);
        Assert.Equal(SettlementChain.Authority, receipt.From, ignoreCase: true);
        Assert.Equal(chain.Addresses.Escrow, receipt.To, ignoreCase: true);
        Assert.True(outcome.GasUsed > 0);
        Assert.Equal((long)receipt.GasUsed.Value, outcome.GasUsed);

        // The copies in flight were absorbed: one notification, one transaction, each payee credited once.
        await notify.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        await asker.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(nonceBefore + 1, await chain.AuthorityNonceAsync());
        await AssertCreditedAsync(payees);
        var job = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(new BigInteger(Gens.ToMicros(8.5)), job.PaidOut);
        Assert.True(await chain.Escrow.SettlementUsedAsync(EscrowIds.FromHex(order.SettlementId)));

        // A copy after the outcome: answered with that outcome, nothing sent, nobody notified again.
        settlement.Tell(order, asker.Ref);
        Assert.Equal(outcome, await asker.ExpectMsgAsync<SettlementSettled>(Patience));
        await notify.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(nonceBefore + 1, await chain.AuthorityNonceAsync());
        await AssertCreditedAsync(payees);
    }

    [Fact]
    public async Task A_payout_below_the_95_percent_match_rate_is_reverted_with_MatchRateTooLow_and_nothing_moves()
    {
        var jobId = NewJobId("low");
        await chain.DepositAsync(jobId, Gens.ToMicros(100));
        var runtime = await chain.ConnectAsync();
        var notify = CreateTestProbe();
        var settlement = StartSettlement(runtime, notify);
        var payees = NewPayees(Gens.ToMicros(4));
        var order = Payout(jobId, 0, payees, accepted: 9, judged: 10);
        var nonceBefore = await chain.AuthorityNonceAsync();

        settlement.Tell(order, notify.Ref);

        var outcome = await notify.ExpectMsgAsync<SettlementSettled>(Patience);
        Assert.Equal(SettlementStatus.Reverted, outcome.Status);
        Assert.Equal(order.SettlementId, outcome.SettlementId);
        Assert.Contains("MatchRateTooLow", outcome.Reason);
        Assert.Contains("accepted: 9, judged: 10", outcome.Reason);
        Assert.Equal(0, outcome.AmountMicros);
        // Final: not retried, nothing sent, nothing credited, the escrow untouched and the settlement id still unused.
        await notify.ExpectNoMsgAsync(TimeSpan.FromSeconds(1.5));
        Assert.Equal(nonceBefore, await chain.AuthorityNonceAsync());
        await AssertCreditedAsync(payees.Select(p => p with { Micros = 0 }));
        var job = await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId));
        Assert.Equal(BigInteger.Zero, job.PaidOut);
        Assert.Equal(new BigInteger(Gens.ToMicros(100)), job.Remaining);
        Assert.False(await chain.Escrow.SettlementUsedAsync(EscrowIds.FromHex(order.SettlementId)));
    }

    [Fact]
    public async Task A_slash_takes_at_most_the_providers_stake_records_the_evidence_hash_and_a_provider_without_stake_is_skipped()
    {
        var jobId = NewJobId("slash");
        foreach (var (provider, stake) in new[] { (SettlementChain.StakedProvider, 100L), (SettlementChain.RichProvider, 400L) })
        {
            var web3 = chain.Chain.Connect(provider);
            await new GensynTokenService(web3, chain.Addresses.Token).ApproveAsync(chain.Addresses.Staking, Gens.ToMicros(stake));
            await new ProviderStakingService(web3, chain.Addresses.Staking).StakeAsync(Gens.ToMicros(stake));
        }
        var runtime = await chain.ConnectAsync();
        var notify = CreateTestProbe();
        var settlement = StartSettlement(runtime, notify);
        var requester = DevChain.DevAddress(SettlementChain.Requester);
        var treasury = DevChain.DevAddress(DevChain.TreasuryAccount);
        var requesterBefore = await chain.Token.BalanceOfAsync(requester);
        var treasuryBefore = await chain.Token.BalanceOfAsync(treasury);

        // Stake (100) below the slash amount (150): the whole stake. Stake (400) above it: the slash amount.
        foreach (var (provider, staked, slashed) in new[] { (SettlementChain.StakedProvider, 100L, 100L), (SettlementChain.RichProvider, 400L, SlashGens) })
        {
            var order = Slash(jobId, provider, $"fraud by provider {provider} in {jobId}");
            settlement.Tell(order, notify.Ref);
            var outcome = await notify.ExpectMsgAsync<SettlementSettled>(Patience);
            Assert.Equal(SettlementStatus.Confirmed, outcome.Status);
            Assert.Equal(SettlementKind.Slash, outcome.Kind);
            Assert.Equal(order.SettlementId, outcome.SettlementId);
            Assert.Equal(Gens.ToMicros(slashed), outcome.AmountMicros);
            Assert.Equal(new BigInteger(Gens.ToMicros(staked - slashed)), await chain.Staking.BondedStakeAsync(order.Provider!));

            var receipt = await chain.ReceiptAsync(outcome.TxHash!);
            Assert.Equal(1, (int)receipt.Status.Value);
            Assert.Equal((long)receipt.GasUsed.Value, outcome.GasUsed);
            var slashedEvent = Assert.Single(receipt.DecodeAllEvents<ProviderStakingAbi.SlashedEvent>());
            Assert.Equal(new BigInteger(Gens.ToMicros(slashed)), slashedEvent.Event.Amount);
            Assert.Equal(order.Provider, slashedEvent.Event.Provider, ignoreCase: true);
            var log = Assert.Single(receipt.Logs, l => l.Topics?.Length == 3 && l.Address.Equals(chain.Addresses.Staking, StringComparison.OrdinalIgnoreCase));
            Assert.Equal(order.EvidenceHash, log.Topics[2].ToString(), ignoreCase: true);
        }
        // Half of each slash to the requester, the rest to the treasury.
        var total = new BigInteger(Gens.ToMicros(100 + SlashGens));
        Assert.Equal(requesterBefore + total / 2, await chain.Token.BalanceOfAsync(requester));
        Assert.Equal(treasuryBefore + total - total / 2, await chain.Token.BalanceOfAsync(treasury));

        // A provider without stake: nothing to take, so nothing is sent.
        var nonceBefore = await chain.AuthorityNonceAsync();
        var empty = Slash(jobId, SettlementChain.UnstakedProvider, $"fraud by a provider without stake in {jobId}");
        settlement.Tell(empty, notify.Ref);
        var skipped = await notify.ExpectMsgAsync<SettlementSettled>(Patience);
        Assert.Equal(SettlementStatus.Skipped, skipped.Status);
        Assert.Equal(empty.SettlementId, skipped.SettlementId);
        Assert.Null(skipped.TxHash);
        Assert.Equal(0, skipped.AmountMicros);
        Assert.Contains("no stake", skipped.Reason);
        Assert.Equal(nonceBefore, await chain.AuthorityNonceAsync());
        await notify.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    /// <summary>The settlement actor of a coordinator that died right after persisting an order: it persists the intent and stops.</summary>
    private sealed class CrashedSettlement : ReceivePersistentActor
    {
        public override string PersistenceId => "settlement";

        public CrashedSettlement() =>
            Command<SettlementOrder>(order => Persist(new SettlementIntended(order, DateTimeOffset.UtcNow), _ =>
            {
                Sender.Tell("persisted");
                Context.Stop(Self);
            }));
    }

    [Fact]
    public async Task After_a_crash_between_sending_and_recording_the_hash_the_order_is_confirmed_with_the_sent_transaction_and_not_sent_again()
    {
        var jobId = NewJobId("crash");
        await chain.DepositAsync(jobId, Gens.ToMicros(100));
        var payees = NewPayees(Gens.ToMicros(2), Gens.ToMicros(7));
        var order = Payout(jobId, 3, payees);

        // 1. The order reaches the journal, and nothing else does.
        var crashed = Sys.ActorOf(Props.Create(() => new CrashedSettlement()), "crashed-settlement");
        Watch(crashed);
        crashed.Tell(order, TestActor);
        await ExpectMsgAsync("persisted", Patience);
        await ExpectTerminatedAsync(crashed, Patience);

        // 2. Its transaction goes out from the settlement key, exactly as the actor sends it, and is mined.
        var runtime = await chain.ConnectAsync();
        var txHash = await runtime.Signer.Eth.GetContractTransactionHandler<JobEscrowAbi.PayRoundFunction>().SendRequestAsync(chain.Addresses.Escrow,
            new JobEscrowAbi.PayRoundFunction
            {
                JobId = EscrowIds.JobKey(jobId), SettlementId = EscrowIds.FromHex(order.SettlementId), Workers = payees.Select(p => p.Address).ToList(),
                Amounts = payees.Select(p => new BigInteger(p.Micros)).ToList(), Accepted = (uint)order.Accepted, Judged = (uint)order.Judged,
            });
        TransactionReceipt? receipt = null;
        for (var i = 0; i < 500 && (receipt = await chain.ReceiptAsync(txHash)) is null; i++) await Task.Delay(10);
        Assert.NotNull(receipt);
        Assert.Equal(1, (int)receipt.Status.Value);
        var nonceAfterCrash = await chain.AuthorityNonceAsync();

        // 3. The coordinator comes back: the settlement actor recovers the intent and finds the transaction on chain.
        var notify = CreateTestProbe();
        StartSettlement(runtime, notify);
        var outcome = await notify.ExpectMsgAsync<SettlementSettled>(Patience);
        Assert.Equal(SettlementStatus.Confirmed, outcome.Status);
        Assert.Equal(order.SettlementId, outcome.SettlementId);
        Assert.Equal(txHash, outcome.TxHash, ignoreCase: true);
        Assert.Equal((long)receipt.GasUsed.Value, outcome.GasUsed);
        Assert.Equal(Gens.ToMicros(9), outcome.AmountMicros);

        await notify.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(nonceAfterCrash, await chain.AuthorityNonceAsync());
        await AssertCreditedAsync(payees);
        Assert.Equal(new BigInteger(Gens.ToMicros(9)), (await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId))).PaidOut);
    }

    [Fact]
    public async Task A_payout_sent_while_the_RPC_is_down_waits_without_reporting_and_is_confirmed_once_the_RPC_is_back()
    {
        var jobId = NewJobId("rpc");
        await chain.DepositAsync(jobId, Gens.ToMicros(100));
        using var proxy = new RpcProxy(chain.Chain.Port);
        var runtime = await chain.ConnectAsync(proxy.Url);
        Assert.True(proxy.Accepted > 0, "the runtime did not connect through the proxy");
        var notify = CreateTestProbe();
        var settlement = StartSettlement(runtime, notify);
        var payees = NewPayees(Gens.ToMicros(6));
        var order = Payout(jobId, 0, payees);
        var nonceBefore = await chain.AuthorityNonceAsync();

        proxy.Stop();
        var acceptedWhileDown = proxy.Accepted;
        settlement.Tell(order, notify.Ref);

        // Down: no outcome (a failure to reach the chain is no revert), nothing on chain.
        await notify.ExpectNoMsgAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(nonceBefore, await chain.AuthorityNonceAsync());
        Assert.False(await chain.Escrow.SettlementUsedAsync(EscrowIds.FromHex(order.SettlementId)));

        // Back: the next retry (backoff at most 30 s) settles it, once.
        proxy.Start();
        var outcome = await notify.ExpectMsgAsync<SettlementSettled>(TimeSpan.FromSeconds(40));
        Assert.True(outcome.Status == SettlementStatus.Confirmed, $"{outcome.Status}: {outcome.Reason}");
        Assert.NotNull(outcome.TxHash);
        Assert.True(proxy.Accepted > acceptedWhileDown, "the payout did not go through the proxy");
        var receipt = await chain.ReceiptAsync(outcome.TxHash);
        Assert.Equal(1, (int)receipt.Status.Value);
        Assert.Equal(nonceBefore + 1, await chain.AuthorityNonceAsync());
        await AssertCreditedAsync(payees);
        await notify.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }
}

using System.Numerics;
using Akka.Actor;
using Akka.Configuration;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;
using Nethereum.Signer;
using Xunit.Abstractions;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Settlement;

/// <summary>
/// A purge's orders, from the job's ledger through the SettlementActor to the devnet contracts: a paid round that is
/// rolled back pays the requester back out of the cheater's stake, and the recomputed round is paid again under its
/// new generation's settlement id; a refuser's stake pays the reruns it caused and the conviction's slash. A
/// restitution for a job paid in another token than GENS is refused, not converted.
/// </summary>
public sealed class PurgeSettlementTests(SettlementChain chain, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Config, output: output), IClassFixture<SettlementChain>
{
    private const long SlashGens = 10;

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

    private static string NewJobId(string what) => $"purge-{what}-{Guid.NewGuid():N}"[..28];

    private async Task StakeAsync(int provider, long gens)
    {
        var web3 = chain.Chain.Connect(provider);
        await new GensynTokenService(web3, chain.Addresses.Token).ApproveAsync(chain.Addresses.Staking,
            Gens.ToMicros(gens));
        await new ProviderStakingService(web3, chain.Addresses.Staking).StakeAsync(Gens.ToMicros(gens));
    }

    /// <summary>Settles the due orders <paramref name="which"/> picks, one at a time, and records each outcome in the
    /// job as its entity does (the actor notifies <see cref="Akka.TestKit.TestKitBase.TestActor"/>).</summary>
    private async Task<JobState> SettleAsync(JobState state, IActorRef settlement, Func<SettlementOrder, bool> which)
    {
        foreach (var order in state.SettlementsDue.Where(which).ToList())
        {
            settlement.Tell(order, ActorRefs.Nobody);
            var outcome = await ExpectMsgAsync<SettlementSettled>(Patience);
            Assert.Equal((order.SettlementId, SettlementStatus.Confirmed), (outcome.SettlementId, outcome.Status));
            state = state.Apply(new SettlementPosted(order, outcome, DateTimeOffset.UtcNow));
        }
        return state;
    }

    [Fact]
    public async Task A_rolled_back_paid_round_pays_the_requester_back_and_is_paid_again_when_recomputed()
    {
        var jobId = NewJobId("rollback");
        var requester = DevChain.DevAddress(SettlementChain.Requester);
        var cheat = DevChain.DevAddress(SettlementChain.StakedProvider);
        var honest = EthECKey.GenerateKey().GetPublicAddress();
        await StakeAsync(SettlementChain.StakedProvider, 100);
        await chain.DepositAsync(jobId, Deposit);
        var settlement = Sys.ActorOf(SettlementActor.Props(ChainLink.Of(await chain.ConnectAsync()), TestActor),
            SettlementActor.SingletonName);
        List<IJobEvent> events =
        [
            Submitted() with { JobId = (JobId)jobId, Payer = requester }, Started(0),
            .. Accepted(0, 0, 1, "honest-1", honest), .. Accepted(0, 1, 1, "cheat-1", cheat), RoundDone(0),
        ];
        var state = await SettleAsync(State(events), settlement, _ => true);
        events.Add(state.Ledger.ToSnapshot()!.Posted.Single());

        // The cheater's accepted round-0 result fails its re-verification: the job rolls back to round 0.
        var revoked = Revoke(0, 1, 1, "cheat-1", cheat);
        var rollback = PurgeRules.Rollback(Timeline([.. events, revoked]), DateTimeOffset.UtcNow)!;
        state = state.Apply(revoked).Apply(rollback);
        var restitution = Assert.Single(state.SettlementsDue, o => o.IsRestitution);
        // Its round-0 payout back, and the recomputation of round 0's two results.
        Assert.Equal(3 * Payout, restitution.SlashMicros);
        var requesterBefore = await chain.Token.BalanceOfAsync(requester);
        state = await SettleAsync(state, settlement, o => o.Kind == SettlementKind.Slash);

        var slash = new BigInteger(Gens.ToMicros(SlashGens));
        Assert.Equal(requesterBefore + 3 * Payout + slash / 2, await chain.Token.BalanceOfAsync(requester));
        Assert.Equal(new BigInteger(Gens.ToMicros(100)) - 3 * Payout - slash,
            await chain.Staking.BondedStakeAsync(cheat));

        // Round 0 recomputed by honest keys: paid under round-0-g1, which the escrow has not seen.
        state = HonestRound(0).Aggregate(state, (s, e) => s.Apply(e));
        var payout = Assert.Single(state.SettlementsDue);
        Assert.Equal(EscrowIds.Hex(EscrowIds.SettlementId(jobId, "round-0-g1")), payout.SettlementId);
        state = await SettleAsync(state, settlement, _ => true);
        Assert.Equal(new BigInteger(4 * Payout), (await chain.Escrow.JobAsync(EscrowIds.JobKey(jobId))).PaidOut);
        Assert.Empty(state.SettlementsDue);
    }

    [Fact]
    public async Task A_refusers_stake_pays_the_reruns_it_caused_and_the_conviction_slash_on_chain()
    {
        var jobId = NewJobId("refusal");
        var requester = DevChain.DevAddress(SettlementChain.Requester);
        var refuser = DevChain.DevAddress(SettlementChain.RichProvider);
        await StakeAsync(SettlementChain.RichProvider, 100);
        await chain.DepositAsync(jobId, Deposit);
        var settlement = Sys.ActorOf(SettlementActor.Props(ChainLink.Of(await chain.ConnectAsync()), TestActor),
            SettlementActor.SingletonName);
        List<IJobEvent> events =
        [
            Submitted() with { JobId = (JobId)jobId, Payer = requester }, Started(0),
            .. Rejected(0, 0, 1, "refuser-1", refuser, VerdictOutcome.Unavailable),
            .. Rejected(0, 1, 1, "refuser-2", refuser, VerdictOutcome.Unavailable),
        ];
        // Convicted of refusal by this job's verdict: the job charges the two reruns and takes the slash.
        var conviction = new KeyConvicted(refuser, ConvictionGround.Refusal, "3 challenges in a row left unanswered",
            ConvictionRule.HashOf($"gensyn-unavailable|{jobId}"), DateTimeOffset.UtcNow, jobId);
        var state = State([.. events, PurgeRules.RefusalCharge(Timeline(events), conviction, DateTimeOffset.UtcNow)!]);
        var requesterBefore = await chain.Token.BalanceOfAsync(requester);
        var stakeBefore = await chain.Staking.BondedStakeAsync(refuser);

        state = await SettleAsync(state, settlement, o => o.Kind == SettlementKind.Slash);

        var slash = new BigInteger(Gens.ToMicros(SlashGens));
        Assert.Equal(requesterBefore + 2 * Payout + slash / 2, await chain.Token.BalanceOfAsync(requester));
        Assert.Equal(stakeBefore - 2 * Payout - slash, await chain.Staking.BondedStakeAsync(refuser));
        Assert.DoesNotContain(state.SettlementsDue, o => o.Kind == SettlementKind.Slash);
    }

    [Fact]
    public async Task A_restitution_for_a_job_paid_in_another_token_is_refused_and_takes_nothing_from_the_stake()
    {
        var jobId = NewJobId("usdc");
        var requester = DevChain.DevAddress(SettlementChain.Requester);
        var provider = DevChain.DevAddress(SettlementChain.RichProvider);
        await StakeAsync(SettlementChain.RichProvider, 200);
        await new GensynTokenService(chain.Chain.Connect(DevChain.AdminAccount), chain.Addresses.Usdc)
            .MintAsync(requester, Gens.ToMicros(10));
        await new GensynTokenService(chain.Chain.Connect(SettlementChain.Requester), chain.Addresses.Usdc)
            .ApproveAsync(chain.Addresses.Escrow, Gens.ToMicros(10));
        await new JobEscrowService(chain.Chain.Connect(SettlementChain.Requester), chain.Addresses.Escrow)
            .DepositAsync(EscrowIds.JobKey(jobId), chain.Addresses.Usdc, Gens.ToMicros(10),
                (ulong)DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds());
        var stakeBefore = await chain.Staking.BondedStakeAsync(provider);
        var settlement = Sys.ActorOf(SettlementActor.Props(ChainLink.Of(await chain.ConnectAsync()), TestActor),
            SettlementActor.SingletonName);
        var order = new SettlementOrder(EscrowIds.Hex(EscrowIds.SettlementId(jobId, "restitution-x")), (JobId)jobId,
            SettlementKind.Slash, 0, [], 0, 0, Provider: provider,
            EvidenceHash: EscrowIds.Hex(EscrowIds.EvidenceHash($"restitution in {jobId}")), Requester: requester,
            SlashMicros: Gens.ToMicros(1), RequesterShareBps: JobLedger.RestitutionShareBps);

        settlement.Tell(order, ActorRefs.Nobody);

        var outcome = await ExpectMsgAsync<SettlementSettled>(Patience);
        Assert.Equal(SettlementStatus.Skipped, outcome.Status);
        Assert.Contains("cannot be converted", outcome.Reason);
        Assert.Equal(stakeBefore, await chain.Staking.BondedStakeAsync(provider));
    }
}

using System.Text;
using System.Text.Json;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Nethereum.Util;

namespace Gensyn.Tests.Settlement;

/// <summary>A job's money, driven through a real <see cref="JobState"/>: payouts per round, slashes, the escrow's close, and what is still due.</summary>
public class JobLedgerTests
{
    private const string JobId = "job-0123abcd";
    private const string Payer = "0x9999999999999999999999999999999999999999";
    private const string AddressA = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
    private const string AddressB = "0x2222222222222222222222222222222222222222";
    private const int InnerSteps = 8;
    private const long ShardPayout = 16_000; // micro-GENS per accepted result, as the job's price lock says
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static string Yaml(int shards = 3) =>
        TestSpecs.SyntheticYaml(rounds: 2, shards: shards, innerSteps: InnerSteps) + "\nbudget: { max-total: 1 }\n";

    private static readonly JobPrice Lock = new(0.5, 640, "the clearing price of 2 idle worker(s)", 2, 0.25, ShardPayout);

    private static Sha256Digest D(string text) => Sha256Digest.Of(Encoding.UTF8.GetBytes(text));

    private static JobSubmitted Submitted(string? payer = Payer, int shards = 3, string jobId = JobId) =>
        new((JobId)jobId, Yaml(shards), Directory.GetCurrentDirectory(), T0, payer, payer is null ? 0 : 1_000_000, Lock);

    private static RoundStarted Started(int round, int shards = 3) =>
        new(round, D($"global-{round}"), Enumerable.Range(0, shards).Select(s => D($"start-{round}-{s}")).ToList(),
            Enumerable.Range(0, shards).Select(s => 1000L + s).ToList(), T0.AddMinutes(round * 10 + 1));

    private static ShardAssigned Assigned(int round, int shard, int epoch, string worker) => new(round, shard, epoch, (WorkerId)worker, T0);

    private static ShardVerified Verified(int round, int shard, int epoch, string worker, string address, VerdictOutcome outcome)
    {
        var fraud = outcome == VerdictOutcome.Fraud;
        return new ShardVerified(round, shard, epoch, (WorkerId)worker, address, outcome, $"{outcome} because of test", D($"root-{round}-{shard}-{epoch}"),
            $"0xresult-{worker}", [1, 2, 3], "00ff", fraud ? 5 : null, fraud ? D("expected") : null, fraud ? D("claimed") : null,
            fraud ? $"0xclaim-{worker}" : null, null, 2.0, 0.25, T0.AddMinutes(round * 10 + 2));
    }

    private static ShardCompleted Completed(int round, int shard, int epoch, string worker) =>
        new(round, shard, epoch, (WorkerId)worker, D($"end-{round}-{shard}"), D($"root-{round}-{shard}-{epoch}"), 0.5, T0.AddMinutes(round * 10 + 2));

    private static RoundCompleted RoundDone(int round) => new(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.75, T0.AddMinutes(round * 10 + 3));

    private static JobCompleted JobDone() => new(D("model"), 4096, D("final"), 0.9, 0.3, null, T0.AddHours(1));

    /// <summary>One shard run by one worker to an accepted result.</summary>
    private static IEnumerable<IJobEvent> Accepted(int round, int shard, int epoch, string worker, string address) =>
        [Assigned(round, shard, epoch, worker), Verified(round, shard, epoch, worker, address, VerdictOutcome.Accepted), Completed(round, shard, epoch, worker)];

    /// <summary>A round whose shards are all accepted: shard 0 by worker-1 at A, shard 1 by worker-2 at A (other case), shard 2 by worker-3 at B.</summary>
    private static IEnumerable<IJobEvent> CleanRound(int round) =>
    [
        Started(round),
        .. Accepted(round, 0, 1, "worker-1", AddressA),
        .. Accepted(round, 1, 1, "worker-2", AddressA.ToLowerInvariant()),
        .. Accepted(round, 2, 1, "worker-3", AddressB),
        RoundDone(round),
    ];

    /// <summary>A round in which worker-6 (at B) commits fraud on shard 2, which convicts B (its verdicts then count for
    /// nothing), worker-7 (at A) leaves its challenge unanswered, and the shard re-runs on worker-3: A's own results, 2 of 3,
    /// leave the round unpaid.</summary>
    private static IEnumerable<IJobEvent> RoundWithFraud(int round) =>
    [
        Started(round),
        .. Accepted(round, 0, 1, "worker-1", AddressA),
        .. Accepted(round, 1, 1, "worker-2", AddressA),
        Assigned(round, 2, 1, "worker-6"),
        Verified(round, 2, 1, "worker-6", AddressB, VerdictOutcome.Fraud),
        Assigned(round, 2, 2, "worker-7"),
        Verified(round, 2, 2, "worker-7", AddressA, VerdictOutcome.Unavailable),
        .. Accepted(round, 2, 3, "worker-3", AddressB),
        RoundDone(round),
    ];

    private static JobState With(IEnumerable<IJobEvent> events)
    {
        var state = new JobState();
        foreach (var e in events) state = state.Apply(e);
        return state;
    }

    /// <summary>The money part of the status view.</summary>
    private static MoneyView? Money(JobState state) => state.Ledger.View(state.JobId, state.History, state.Phase);

    private static JobState With(params IJobEvent[] events) => With(events.AsEnumerable());

    private static SettlementPosted Posted(SettlementOrder order, SettlementStatus status = SettlementStatus.Confirmed, long? amount = null) =>
        new(order, new SettlementSettled(order.JobId, order.SettlementId, order.Kind, status, status == SettlementStatus.Reverted ? null : $"0xtx-{order.Label}",
            60_000, amount ?? order.TotalMicros, status == SettlementStatus.Reverted ? "reverted in test" : "", T0.AddHours(2)), T0.AddHours(2));

    private static string Id(string step, string jobId = JobId) => EscrowIds.Hex(EscrowIds.SettlementId(jobId, step));

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    [Fact]
    public void A_job_without_a_payer_has_no_orders_and_no_money_view()
    {
        var state = With([Submitted(payer: null), .. CleanRound(0), .. RoundWithFraud(1), JobDone()]);

        Assert.Empty(state.SettlementsDue);
        Assert.Null(Money(state));
        Assert.Null(state.Ledger.ToSnapshot());
        Assert.Null(state.Ledger.Payer);
    }

    [Fact]
    public void A_completed_round_pays_each_accepted_result_H_steps_at_the_price_grouped_per_address()
    {
        var state = With([Submitted(), .. CleanRound(0)]);

        var order = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.PayRound, order.Kind);
        Assert.Equal(JobId, order.JobId);
        Assert.Equal(0, order.Round);
        Assert.Equal((3, 3), (order.Accepted, order.Judged));
        Assert.Equal(10_000, order.MatchRateBps);
        Assert.Equal("round 1 payout", order.Label);
        Assert.Equal(Id("round-0"), order.SettlementId);
        Assert.Equal(
            [new SettlementPayee("worker-1+worker-2", AddressA, 2 * ShardPayout), new SettlementPayee("worker-3", AddressB, ShardPayout)],
            order.Payees);
        Assert.Equal(3 * ShardPayout, order.TotalMicros);
        Assert.Equal(ShardPayout, state.Ledger.ResultPayoutMicros);
        Assert.Equal(Lock, state.Ledger.Price);
    }

    [Fact]
    public void A_job_from_before_market_prices_pays_H_steps_at_its_retired_price_per_step()
    {
        // Its spec still sets price-per-step (0.002 GENS) and its JobSubmitted has no price lock: H = 8 steps earn 16,000 micro-GENS.
        var yaml = TestSpecs.SyntheticYaml(rounds: 2, shards: 3, innerSteps: InnerSteps) + "\nbudget: { max-total: 1, price-per-step: 0.002 }\n";
        var state = With([new JobSubmitted((JobId)JobId, yaml, Directory.GetCurrentDirectory(), T0, Payer, 1_000_000), .. CleanRound(0)]);

        Assert.Null(state.Ledger.Price);
        Assert.Equal(3 * 16_000, Assert.Single(state.SettlementsDue).TotalMicros);
        var restored = JobState.FromSnapshot(state.ToSnapshot());
        Assert.Equal(16_000, restored.Ledger.ResultPayoutMicros);

        // Without price-per-step it paid the old default, 0.001 GENS a step.
        var defaulted = With([new JobSubmitted((JobId)JobId, TestSpecs.SyntheticYaml(rounds: 2, shards: 3, innerSteps: InnerSteps), ".", T0, Payer, 1_000_000), .. CleanRound(0)]);
        Assert.Equal(8 * 1_000, defaulted.Ledger.ResultPayoutMicros);
    }

    [Fact]
    public void A_paid_round_carries_its_accepted_and_judged_counts_and_pays_only_accepted_results()
    {
        // 20 shards, one of which first leaves its challenge unanswered (which convicts no key, so it counts) and is
        // then re-run: 20 of 21 results accepted, 95.24%.
        const int shards = 20;
        var events = new List<IJobEvent> { Submitted(shards: shards), Started(0, shards) };
        events.Add(Assigned(0, 0, 1, "worker-bad"));
        events.Add(Verified(0, 0, 1, "worker-bad", "0x3333333333333333333333333333333333333333", VerdictOutcome.Unavailable));
        for (var s = 0; s < shards; s++)
            events.AddRange(Accepted(0, s, s == 0 ? 2 : 1, $"worker-{s}", $"0x{s + 0x10:x40}"));
        events.Add(RoundDone(0));

        var state = With(events);

        var order = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.PayRound, order.Kind);
        Assert.Equal((20, 21), (order.Accepted, order.Judged));
        Assert.Equal(9_523, order.MatchRateBps);
        Assert.Equal(shards, order.Payees.Count);
        Assert.DoesNotContain(order.Payees, p => p.WorkerId == "worker-bad");
        Assert.All(order.Payees, p => Assert.Equal(ShardPayout, p.Micros));
    }

    [Fact]
    public void An_open_round_pays_nothing_until_it_completes()
    {
        var open = CleanRound(0).SkipLast(1).ToList();
        var state = With([Submitted(), .. open]);

        Assert.True(state.RoundOpen);
        Assert.Empty(state.SettlementsDue);
        Assert.Empty(Money(state)!.Pending);

        state = state.Apply(RoundDone(0));
        Assert.Equal(SettlementKind.PayRound, Assert.Single(state.SettlementsDue).Kind);
    }

    [Fact]
    public void A_round_under_95_percent_match_rate_is_not_paid()
    {
        // Round 0: shard 0's challenge left unanswered once (which convicts no key), then accepted: 3 of 4 results (75%).
        // Round 1 is clean.
        var state = With([
            Submitted(),
            Started(0),
            Assigned(0, 0, 1, "worker-bad"),
            Verified(0, 0, 1, "worker-bad", AddressB, VerdictOutcome.Unavailable),
            .. Accepted(0, 0, 2, "worker-1", AddressA),
            .. Accepted(0, 1, 1, "worker-2", AddressA),
            .. Accepted(0, 2, 1, "worker-3", AddressB),
            RoundDone(0),
        ]);

        Assert.False(state.History[0].Paid);
        Assert.Equal(0.75, state.History[0].MatchRate);
        Assert.Empty(state.SettlementsDue);

        foreach (var e in CleanRound(1)) state = state.Apply(e);
        var order = Assert.Single(state.SettlementsDue);
        Assert.Equal(1, order.Round);
        Assert.Equal(Id("round-1"), order.SettlementId);
    }

    [Fact]
    public void A_fraud_verdict_yields_exactly_one_slash_of_the_workers_address_citing_the_evidence_hash()
    {
        var state = With([Submitted(), .. RoundWithFraud(0)]);

        // The round itself is not paid (AddressA's own results: 2 of 3), so the slash is the only order.
        var slash = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.Slash, slash.Kind);
        Assert.Equal(AddressB, slash.Provider);
        Assert.Equal(Payer, slash.Requester);
        Assert.Equal(0, slash.Round);
        Assert.Empty(slash.Payees);
        Assert.Equal(Id("slash-0-2-1"), slash.SettlementId);
        Assert.Equal($"slash of {AddressB}", slash.Label);

        var fraud = Verified(0, 2, 1, "worker-6", AddressB, VerdictOutcome.Fraud);
        var evidence = JobLedger.Evidence(JobId, fraud);
        Assert.Equal(EscrowIds.Hex(EscrowIds.EvidenceHash(evidence)), slash.EvidenceHash);
        // Independently: keccak-256 of the canonical text's UTF-8 bytes.
        Assert.Equal("0x" + new Sha3Keccack().CalculateHash(evidence).ToLowerInvariant(), slash.EvidenceHash);
        // The evidence names the job, the worker, the step at fault and both digests.
        Assert.Contains(JobId, evidence);
        Assert.Contains("worker-6", evidence);
        Assert.Contains(AddressB, evidence);
        Assert.Contains("step 5", evidence);
        Assert.Contains(D("expected").ToString(), evidence);
        Assert.Contains(D("claimed").ToString(), evidence);
    }

    [Theory]
    [InlineData(VerdictOutcome.Invalid)]
    [InlineData(VerdictOutcome.Unavailable)]
    public void Invalid_and_unavailable_verdicts_are_never_slashed(VerdictOutcome outcome)
    {
        var state = With([
            Submitted(),
            Started(0),
            Assigned(0, 2, 1, "worker-6"),
            Verified(0, 2, 1, "worker-6", AddressB, outcome),
            .. Accepted(0, 0, 1, "worker-1", AddressA),
            .. Accepted(0, 1, 1, "worker-2", AddressA),
            .. Accepted(0, 2, 2, "worker-3", AddressB),
            RoundDone(0),
            new JobFailed("test", T0.AddHours(1)),
        ]);

        // The round (75%, a journal that counts every verdict) is not paid, there is nothing to slash: only the
        // escrow's cancel is due.
        var order = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.Cancel, order.Kind);
        Assert.Empty(state.Ledger.ToSnapshot()!.Frauds);
    }

    [Fact]
    public void The_escrow_release_of_a_completed_job_is_due_only_after_every_payout_and_slash_is_posted()
    {
        var state = With([Submitted(), .. CleanRound(0), .. RoundWithFraud(1), JobDone()]);

        // Round 0 is paid, round 1 (AddressA's 2 of 3) is not; the fraud in round 1 is slashed.
        var due = state.SettlementsDue;
        Assert.Equal([SettlementKind.PayRound, SettlementKind.Slash], due.Select(o => o.Kind));
        var (pay, slash) = (due[0], due[1]);

        state = state.Apply(Posted(pay));
        Assert.Equal([slash.SettlementId], state.SettlementsDue.Select(o => o.SettlementId));

        // A reverted slash is posted too (it reached its outcome): the close is then due.
        state = state.Apply(Posted(slash, SettlementStatus.Reverted));
        var close = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.Complete, close.Kind);
        Assert.Equal(Id("complete"), close.SettlementId);
        Assert.Equal(Payer, close.Requester);
        Assert.Equal(-1, close.Round);
        Assert.Empty(close.Payees);
        Assert.Equal("escrow release", close.Label);

        state = state.Apply(Posted(close, amount: 1_000_000 - 3 * ShardPayout));
        Assert.Empty(state.SettlementsDue);
    }

    [Fact]
    public void The_close_waits_for_the_slash_even_when_the_payout_is_posted_first()
    {
        var state = With([Submitted(), .. CleanRound(0), .. RoundWithFraud(1), JobDone()]);
        var slash = state.SettlementsDue.Single(o => o.Kind == SettlementKind.Slash);

        state = state.Apply(Posted(slash));

        Assert.Equal([SettlementKind.PayRound], state.SettlementsDue.Select(o => o.Kind));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_failed_or_cancelled_job_cancels_the_escrow_after_its_paid_rounds_are_posted(bool failed)
    {
        var state = With([Submitted(), .. CleanRound(0), Started(1)]);
        state = state.Apply(failed ? new JobFailed("no workers", T0.AddHours(1)) : new JobCancelled("by the user", T0.AddHours(1)));

        var pay = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.PayRound, pay.Kind);

        state = state.Apply(Posted(pay));
        var close = Assert.Single(state.SettlementsDue);
        Assert.Equal(SettlementKind.Cancel, close.Kind);
        Assert.Equal(Id("cancel"), close.SettlementId);
        Assert.Equal(Payer, close.Requester);
        Assert.Equal("escrow cancel", close.Label);
    }

    [Fact]
    public void A_running_job_never_has_the_escrow_close_due()
    {
        var state = With([Submitted(), .. CleanRound(0)]);
        state = state.Apply(Posted(state.SettlementsDue.Single()));

        Assert.Equal(JobPhase.Running, state.Phase);
        Assert.Empty(state.SettlementsDue);
    }

    [Fact]
    public void Posted_orders_are_no_longer_due_and_the_others_still_are()
    {
        var state = With([Submitted(), .. CleanRound(0), .. CleanRound(1)]);
        Assert.Equal([Id("round-0"), Id("round-1")], state.SettlementsDue.Select(o => o.SettlementId));

        state = state.Apply(Posted(state.SettlementsDue[0]));

        Assert.Equal([Id("round-1")], state.SettlementsDue.Select(o => o.SettlementId));
        Assert.True(state.Ledger.Posted(Id("round-0")));
        Assert.False(state.Ledger.Posted(Id("round-1")));
    }

    [Fact]
    public void Settlement_ids_are_deterministic_per_job_and_step()
    {
        var first = With([Submitted(), .. CleanRound(0), .. CleanRound(1)]).SettlementsDue;
        var second = With([Submitted(), .. CleanRound(0), .. CleanRound(1)]).SettlementsDue;
        var otherJob = With([Submitted(jobId: "job-ffff0000"), .. CleanRound(0)]).SettlementsDue;

        Assert.Equal(first.Select(o => o.SettlementId), second.Select(o => o.SettlementId));
        Assert.NotEqual(first[0].SettlementId, first[1].SettlementId);
        Assert.NotEqual(first[0].SettlementId, otherJob[0].SettlementId);
        Assert.Equal(Id("round-0", "job-ffff0000"), otherJob[0].SettlementId);
        Assert.Matches("^0x[0-9a-f]{64}$", first[0].SettlementId);
    }

    [Fact]
    public void The_money_view_sums_confirmed_payouts_and_refunds_and_lists_what_is_pending()
    {
        var state = With([Submitted(), .. CleanRound(0), .. CleanRound(1), JobDone()]);
        var (round0, round1) = (state.SettlementsDue[0], state.SettlementsDue[1]);

        var money = Money(state)!;
        Assert.Equal(Payer, money.Payer);
        Assert.Equal(1_000_000, money.DepositMicros);
        Assert.Equal(0, money.PaidMicros);
        Assert.Equal(0, money.RefundedMicros);
        Assert.Empty(money.Settlements);
        Assert.Equal(["round 1 payout", "round 2 payout"], money.Pending);

        state = state.Apply(Posted(round0));
        state = state.Apply(Posted(round1, SettlementStatus.Reverted)); // reverted: posted, but nothing moved
        var close = Assert.Single(state.SettlementsDue);
        state = state.Apply(Posted(close, amount: 1_000_000 - 3 * ShardPayout));

        money = Money(state)!;
        Assert.Equal(3 * ShardPayout, money.PaidMicros);
        Assert.Equal(1_000_000 - 3 * ShardPayout, money.RefundedMicros);
        Assert.Empty(money.Pending);
        Assert.Equal(["round 1 payout", "round 2 payout", "escrow release"], money.Settlements.Select(s => s.Label));
        Assert.Equal([SettlementStatus.Confirmed, SettlementStatus.Reverted, SettlementStatus.Confirmed], money.Settlements.Select(s => s.Status));
        Assert.Equal("0xtx-round 1 payout", money.Settlements[0].TxHash);
        Assert.Equal(round0.Payees, money.Settlements[0].Payees);
    }

    [Fact]
    public void The_money_view_shows_a_slash_with_its_evidence_and_a_cancel_as_a_refund()
    {
        var state = With([Submitted(), .. RoundWithFraud(0), new JobCancelled("by the user", T0.AddHours(1))]);
        var slash = Assert.Single(state.SettlementsDue);
        Assert.Equal(["slash of " + AddressB], Money(state)!.Pending);

        state = state.Apply(Posted(slash, amount: 0));
        var cancel = Assert.Single(state.SettlementsDue);
        state = state.Apply(Posted(cancel, amount: 1_000_000));

        var money = Money(state)!;
        Assert.Equal(0, money.PaidMicros);
        Assert.Equal(1_000_000, money.RefundedMicros);
        var view = money.Settlements[0];
        Assert.Equal(SettlementKind.Slash, view.Kind);
        Assert.Equal(slash.EvidenceHash, view.EvidenceHash);
        Assert.Equal(AddressB, view.Provider);
    }

    [Fact]
    public void A_snapshot_round_trip_keeps_the_due_orders_and_the_money_view()
    {
        var state = With([Submitted(), .. CleanRound(0), .. RoundWithFraud(1), JobDone()]);
        state = state.Apply(Posted(state.SettlementsDue[0]));

        var restored = JobState.FromSnapshot(state.ToSnapshot());

        Assert.Equal(SettlementKind.Slash, Assert.Single(state.SettlementsDue).Kind);
        Assert.Equal(Json(state.SettlementsDue), Json(restored.SettlementsDue));
        Assert.Equal(Json(Money(state)), Json(Money(restored)));
        Assert.Equal((Payer, 1_000_000L), (restored.Ledger.Payer, restored.Ledger.DepositMicros));

        // Both go on the same way: posting the slash makes the release due in each.
        var slash = state.SettlementsDue.Single();
        state = state.Apply(Posted(slash));
        restored = restored.Apply(Posted(slash));
        Assert.Equal(SettlementKind.Complete, Assert.Single(restored.SettlementsDue).Kind);
        Assert.Equal(Json(state.SettlementsDue), Json(restored.SettlementsDue));
        Assert.Equal(Json(Money(state)), Json(Money(restored)));
    }

    [Fact]
    public void A_snapshot_taken_mid_round_still_pays_the_results_accepted_before_it()
    {
        var state = With([Submitted(), .. CleanRound(0).SkipLast(1)]);

        var restored = JobState.FromSnapshot(state.ToSnapshot());
        restored = restored.Apply(RoundDone(0));

        var order = Assert.Single(restored.SettlementsDue);
        Assert.Equal(3 * ShardPayout, order.TotalMicros);
    }

    [Fact]
    public void The_same_SettlementPosted_twice_counts_once()
    {
        var state = With([Submitted(), .. CleanRound(0)]);
        var posted = Posted(state.SettlementsDue.Single());

        state = state.Apply(posted);
        state = state.Apply(posted);
        state = state.Apply(Posted(posted.Order, amount: 999)); // another copy of the outcome for the same id

        var money = Money(state)!;
        Assert.Equal(3 * ShardPayout, money.PaidMicros);
        Assert.Single(money.Settlements);
        Assert.Single(state.Ledger.ToSnapshot()!.Posted);
    }
}

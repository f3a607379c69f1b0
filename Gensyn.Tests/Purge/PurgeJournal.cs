using System.Text;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Purge;

/// <summary>Journals of jobs with a cheater in them, written event by event, for the purge rules' tests.</summary>
public static class PurgeJournal
{
    public const string JobId = "job-purge-0001";
    public const string Payer = "0x9999999999999999999999999999999999999999";
    public const string Treasury = "0x7777777777777777777777777777777777777777";
    public const string Honest = "0xAAAAaaaaAAAAaaaaAAAAaaaaAAAAaaaaAAAAaaaa";
    public const string Other = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    public const string Cheat = "0xCcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCcCc";
    public const long Payout = 16_000;
    public const long Deposit = 1_000_000;
    public static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly JobPrice Lock = new(0.5, 640, "the clearing price of 3 idle worker(s)", 3, 0.25, Payout);

    public static Sha256Digest D(string text) => Sha256Digest.Of(Encoding.UTF8.GetBytes(text));

    public static Sha256Digest Root(int round, int shard, int epoch) => D($"root-{round}-{shard}-{epoch}");

    public static Sha256Digest End(int round, int shard, int epoch) => D($"end-{round}-{shard}-{epoch}");

    public static JobSubmitted Submitted(int rounds = 3, int shards = 2) =>
        new((JobId)JobId,
            TestSpecs.SyntheticYaml(rounds: rounds, shards: shards, innerSteps: 8) + "\nbudget: { max-total: 1 }\n",
            "/data", T0, Payer, Deposit, Lock);

    public static RoundStarted Started(int round, int shards = 2) =>
        new(round, D($"global-{round}"), Enumerable.Range(0, shards).Select(s => D($"start-{round}-{s}")).ToList(),
            Enumerable.Range(0, shards).Select(s => 1000L + s).ToList(), T0.AddMinutes(round * 10));

    public static ShardVerified Verdict(int round, int shard, int epoch, string worker, string address,
                                        VerdictOutcome outcome, string reason = "test verdict")
    {
        var fraud = outcome == VerdictOutcome.Fraud;
        return new ShardVerified(round, shard, epoch, (WorkerId)worker, address, outcome, reason, Root(round, shard, epoch),
            $"0xresult-{worker}", [1, 5], "00ff", fraud ? 5 : null, fraud ? D("expected") : null,
            fraud ? D("claimed") : null, fraud ? "0xclaim" : null, null, 2.0, 0.25, T0.AddMinutes(round * 10 + 1));
    }

    /// <summary>One shard run by one worker to an accepted result that completes the shard.</summary>
    public static IEnumerable<IJobEvent> Accepted(int round, int shard, int epoch, string worker, string address) =>
    [
        new ShardAssigned(round, shard, epoch, (WorkerId)worker, T0.AddMinutes(round * 10)),
        Verdict(round, shard, epoch, worker, address, VerdictOutcome.Accepted),
        new ShardCompleted(round, shard, epoch, (WorkerId)worker, End(round, shard, epoch), Root(round, shard, epoch), 0.5,
            T0.AddMinutes(round * 10 + 1)),
    ];

    public static IEnumerable<IJobEvent> Rejected(int round, int shard, int epoch, string worker, string address,
                                                  VerdictOutcome outcome) =>
        [new ShardAssigned(round, shard, epoch, (WorkerId)worker, T0), Verdict(round, shard, epoch, worker, address, outcome)];

    public static RoundCompleted RoundDone(int round) =>
        new(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.7, T0.AddMinutes(round * 10 + 2));

    /// <summary>A round in which the cheater's result on shard 1 and the honest key's on shard 0 are
    /// accepted.</summary>
    public static IEnumerable<IJobEvent> RoundWithCheat(int round) =>
    [
        Started(round), .. Accepted(round, 0, 1, "honest-1", Honest), .. Accepted(round, 1, 1, "cheat-1", Cheat),
        RoundDone(round),
    ];

    /// <summary>A round run by honest keys only.</summary>
    public static IEnumerable<IJobEvent> HonestRound(int round) =>
    [
        Started(round), .. Accepted(round, 0, 1, "honest-1", Honest), .. Accepted(round, 1, 1, "other-1", Other),
        RoundDone(round),
    ];

    /// <summary>The round's payout confirmed on chain: each accepted result of <paramref name="payees"/>, grouped per
    /// key as the ledger groups them.</summary>
    public static SettlementPosted Paid(int round, params (string Worker, string Address)[] payees)
    {
        var list = payees.GroupBy(p => p.Address.ToLowerInvariant())
            .Select(g => new SettlementPayee(string.Join("+", g.Select(p => p.Worker).Distinct()), g.First().Address,
                g.Count() * Payout)).ToList();
        var id = EscrowIds.Hex(EscrowIds.SettlementId(JobId, $"round-{round}"));
        var order = new SettlementOrder(id, (JobId)JobId, SettlementKind.PayRound, round, list, payees.Length, payees.Length);
        var outcome = new SettlementSettled((JobId)JobId, id, SettlementKind.PayRound, SettlementStatus.Confirmed, "0xtx",
            60_000, order.TotalMicros, "", T0.AddMinutes(round * 10 + 3));
        return new SettlementPosted(order, outcome, T0.AddMinutes(round * 10 + 3));
    }

    public static ResultRevoked Revoke(int round, int shard, int epoch, string worker, string address,
                                       VerdictOutcome outcome = VerdictOutcome.Fraud, bool aggregated = true) =>
        new(round, shard, epoch, (WorkerId)worker, address, outcome, $"step 4 does not replay ({outcome})",
            Root(round, shard, epoch),
            "0x" + D($"evidence-{round}-{shard}"), aggregated, T0.AddHours(1));

    public static PurgeTimeline Timeline(IEnumerable<IJobEvent> events) => PurgeTimeline.Of(events);

    public static JobState State(IEnumerable<IJobEvent> events) =>
        events.Aggregate(new JobState(), (state, e) => state.Apply(e));

    public static PurgeTerms Terms(long stake = 100_000_000, long slash = 10_000_000, int shareBps = 5000) =>
        new(Payer, Treasury, Payout, stake, slash, shareBps);
}

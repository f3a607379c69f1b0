using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>Journals of whole jobs, with every kind of event, for tests that replay them.</summary>
public static class JobHistories
{
    public const string JobId = "job-0123abcd";
    public const string Payer = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    private const string Cheat = "0x1111111111111111111111111111111111111111";
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static Sha256Digest D(string text) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(text));

    private static ShardVerified Verified(int round, int shard, int epoch, string worker, string address,
        VerdictOutcome outcome,
                                          int minute)
    {
        var fraud = outcome == VerdictOutcome.Fraud;
        return new ShardVerified(round, shard, epoch, (WorkerId)worker, address, outcome, $"{outcome}: test verdict",
            D($"root-{round}-{shard}"),
            "0xresult", [1, 3], "00ff", fraud ? 3 : null, fraud ? D("expected") : null, fraud ? D("claimed") : null,
            fraud ? "0xclaim" : null, fraud ? 0.5 : null, 1.5 + shard, 0.25, T0.AddMinutes(minute));
    }

    /// <summary>
    /// A paid two-round job: a lost worker, checkpoints kept and discarded, a fraud (slashed) and an accepted result
    /// per
    /// shard and round, the round's payout posted, and the final model.
    /// </summary>
    public static List<IJobEvent> Settled()
    {
        var price = new JobPrice(0.2, 651.5, "the clearing price of 2 idle worker(s)", 2, 1.0, 1_000);
        var payout = new SettlementOrder("0x" + new string('c', 64), (JobId)JobId, SettlementKind.PayRound, 0,
            [new SettlementPayee("w1+w2", Payer, 2_000)], 2, 3);
        List<IJobEvent> events =
        [
            new JobSubmitted((JobId)JobId, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8), "/data", T0, Payer,
                1_000_000,
                price),
        ];
        for (var round = 0; round < 2; round++)
        {
            var m = round * 20;
            events.Add(new RoundStarted(round, D($"global-{round}"), [D($"start-{round}-0"), D($"start-{round}-1")],
                [1000, 1001],
                T0.AddMinutes(m + 1)));
            events.Add(new ShardAssigned(round, 0, 1, (WorkerId)"w1", T0.AddMinutes(m + 2)));
            events.Add(new ShardAssigned(round, 1, 1, (WorkerId)"cheat", T0.AddMinutes(m + 2)));
            events.Add(new ShardCheckpointSaved(round, 0, 1, (WorkerId)"w1", 4, D($"checkpoint-{round}-0"),
                T0.AddMinutes(m + 3)));
            events.Add(new ShardCheckpointSaved(round, 0, 1, (WorkerId)"w1", 2, D($"stale-{round}-0"), T0.AddMinutes(m + 3)));
            events.Add(new ShardCheckpointDiscarded(round, 0, D($"checkpoint-{round}-0"), "its hash does not match",
                T0.AddMinutes(m + 4)));
            events.Add(new ShardReleased(round, 0, 1, (WorkerId)"w1", "the worker's process is gone", T0.AddMinutes(m + 5)));
            events.Add(new ShardAssigned(round, 0, 2, (WorkerId)"w2", T0.AddMinutes(m + 6)));
            events.Add(new ShardReleased(round, 0, 2, (WorkerId)"w2", "busy with another shard", T0.AddMinutes(m + 6),
                CountsAsFailure: false));
            events.Add(new ShardAssigned(round, 0, 3, (WorkerId)"w2", T0.AddMinutes(m + 7)));
            if (round == 0) events.Add(Verified(round, 1, 1, "cheat", Cheat, VerdictOutcome.Fraud, m + 8));
            else events.Add(new ShardReleased(round, 1, 1, (WorkerId)"cheat", "no heartbeat for 30 s", T0.AddMinutes(m + 8)));
            events.Add(new ShardAssigned(round, 1, 2, (WorkerId)"w1", T0.AddMinutes(m + 9)));
            events.Add(Verified(round, 0, 3, "w2", Payer, VerdictOutcome.Accepted, m + 10));
            events.Add(new ShardCompleted(round, 0, 3, (WorkerId)"w2", D($"end-{round}-0"), D($"root-{round}-0"),
                0.61 - round * 0.1,
                T0.AddMinutes(m + 10)));
            events.Add(Verified(round, 1, 2, "w1", Payer, VerdictOutcome.Accepted, m + 11));
            events.Add(new ShardCompleted(round, 1, 2, (WorkerId)"w1", D($"end-{round}-1"), D($"root-{round}-1"),
                0.58 - round * 0.1,
                T0.AddMinutes(m + 11)));
            events.Add(new RoundCompleted(round, D($"global-{round + 1}"), D($"digest-{round + 1}"), 0.6 - round * 0.1,
                T0.AddMinutes(m + 12)));
        }
        events.Add(new SettlementPosted(payout, new SettlementSettled((JobId)JobId, payout.SettlementId,
            SettlementKind.PayRound,
            SettlementStatus.Confirmed, "0x" + new string('b', 64), 103_634, 2_000, "", T0.AddMinutes(50)),
                T0.AddMinutes(50)));
        events.Add(new JobCompleted(D("model"), 4096, D("final"), 0.9125, 0.3071, null, T0.AddMinutes(55)));
        return events;
    }

    /// <summary>A job that failed in its first round, with no payer (a network that does not settle).</summary>
    public static List<IJobEvent> Failed() =>
    [
        new JobSubmitted((JobId)JobId, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8), "/data", T0),
        new RoundStarted(0, D("global-0"), [D("start-0-0"), D("start-0-1")], [1000, 1001], T0.AddMinutes(1)),
        new ShardAssigned(0, 0, 1, (WorkerId)"w1", T0.AddMinutes(2)),
        Verified(0, 0, 1, "w1", "", VerdictOutcome.Invalid, 3),
        new JobFailed("aggregation failed: a blob is missing", T0.AddMinutes(4)),
    ];
}

using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;

namespace Gensyn.Tests.Workers;

/// <summary>Reputation's pure rules: one record per key, verdicts and streaks, and caught throughput claims.</summary>
public class ProviderRecordsTests
{
    private const string Alice = "0xA11CE00000000000000000000000000000000001";

    private static WorkerEntry<string> Worker(string id, double throughput) =>
        new((WorkerId)id, "ref-" + id, "cpu", 16, 1, "c", 0.2, Alice, throughput);

    [Fact]
    public void A_record_is_kept_per_key_whatever_the_case_of_its_address_and_per_id_without_one()
    {
        var records = new ProviderRecords();

        var lower = Alice.ToLowerInvariant();
        Assert.Same(records.Of(ProviderRecords.KeyOf(Alice, "w1")), records.Of(ProviderRecords.KeyOf(lower, "w2")));
        Assert.NotSame(records.Of(ProviderRecords.KeyOf("", "w1")), records.Of(ProviderRecords.KeyOf("", "w2")));
    }

    [Fact]
    public void Past_its_capacity_the_oldest_record_is_forgotten()
    {
        var records = new ProviderRecords(capacity: 2);
        var first = records.Of("a");
        first.Accepted = 5;
        records.Of("b");
        records.Of("c");

        Assert.Equal(0, records.Of("a").Accepted);
    }

    [Fact]
    public void A_rejection_resets_the_honest_streak_but_keeps_the_counts()
    {
        var record = new ProviderRecord();
        ProviderRecords.Judged(record, accepted: true);
        ProviderRecords.Judged(record, accepted: true);
        ProviderRecords.Judged(record, accepted: false);
        ProviderRecords.Judged(record, accepted: true);

        Assert.Equal((3, 1, 1), (record.Accepted, record.Rejected, record.HonestStreak));
    }

    [Fact]
    public void A_caught_claim_is_remembered_for_the_id_and_an_honest_one_is_not()
    {
        var records = new ProviderRecords();
        var check = new ThroughputCheck(Tolerance: 2, MinSeconds: 5, MinStepWork: 0.5);
        var inflated = Worker("inflated", throughput: 1000);
        var honest = Worker("honest", throughput: 110);

        Assert.Equal((100.0, true), records.ThroughputObserved(inflated, 1000, 1, 10, check));
        Assert.Equal((100.0, false), records.ThroughputObserved(honest, 1000, 1, 10, check));
        Assert.Null(records.ThroughputObserved<string>(null, 1000, 1, 10, check));

        Assert.Equal(100.0, records.ObservedFor((WorkerId)"inflated"));
        Assert.Null(records.ObservedFor((WorkerId)"honest"));
        Assert.Equal(100.0, inflated.EffectiveThroughput);
        Assert.Equal(1, inflated.Record.FalseClaims);
    }
}

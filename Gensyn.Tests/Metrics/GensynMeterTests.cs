using System.Diagnostics.Metrics;
using Akka.Actor;
using Gensyn.Actors.Metrics;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Metrics;

/// <summary>
/// The pieces behind the Gensyn meter: labels from fixed sets only, gauges that forget an actor once it has stopped,
/// and the time a settlement order has waited.
/// </summary>
public sealed class GensynMeterTests : Akka.TestKit.Xunit2.TestKit
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData("CUDA", "cuda")]
    [InlineData("tpu-0x5f3759df", "other")]
    [InlineData("", "other")]
    [InlineData(null, "other")]
    public void A_workers_class_label_is_a_known_device_or_other(string? device, string label) =>
        Assert.Equal(label, MetricLabels.WorkerClass(device));

    [Fact]
    public void Every_label_value_comes_from_a_set_fixed_by_the_code()
    {
        Assert.Equal(["queued", "running", "completed", "failed", "cancelled"], MetricLabels.JobStates);
        Assert.Equal(Enum.GetValues<VerdictOutcome>().Length, MetricLabels.Outcomes.Count);
        Assert.All(Enum.GetValues<VerdictOutcome>(),
            o => Assert.Contains(MetricLabels.Outcome(o), MetricLabels.Outcomes));
        Assert.Equal(["cpu", "cuda", "other"], MetricLabels.WorkerClasses);
    }

    [Fact]
    public void A_gauge_reads_what_live_actors_published_last_and_forgets_an_actor_once_it_stopped()
    {
        var publications = new ActorPublications<int>();
        var staying = Sys.ActorOf(Props.Create(() => new Idle()));
        var leaving = Sys.ActorOf(Props.Create(() => new Idle()));
        publications.Publish(staying, 1);
        publications.Publish(leaving, 2);
        publications.Publish(leaving, 3);
        Assert.Equal([1, 3], publications.Live().Order());

        Watch(leaving);
        Sys.Stop(leaving);
        ExpectTerminated(leaving);

        Assert.Equal([1], publications.Live());
        Assert.Equal(0, publications.Last(leaving));
    }

    [Fact]
    public void A_pending_order_remembers_when_it_was_journaled_and_one_restored_from_a_snapshot_does_not()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var order = new SettlementOrder("0xa", (JobId)"job-0123abcd", SettlementKind.PayRound, 0, [], 1, 1);
        var outbox = new SettlementOutbox();
        outbox.Apply(new SettlementIntended(order, at));

        Assert.Equal(at, Assert.Single(outbox.Unfinished).Since);
        Assert.Null(Assert.Single(SettlementOutbox.FromSnapshot(outbox.ToSnapshot()).Unfinished).Since);
    }

    [Fact]
    public void The_settlement_gauges_count_a_published_pending_order_with_its_age_until_its_actor_stops()
    {
        // Ten years old: no order of another test in this process is anywhere near as old.
        var since = DateTimeOffset.UtcNow.AddDays(-3650);
        var order = new SettlementOrder("0xb", (JobId)"job-0123abcd", SettlementKind.PayRound, 0, [], 1, 1);
        var outbox = new SettlementOutbox();
        outbox.Apply(new SettlementIntended(order, since));
        var settlement = Sys.ActorOf(Props.Create(() => new Idle()));

        GensynMeter.Outbox(settlement, outbox);
        var published = Gauges();
        Assert.True(published["gensyn.settlement.orders.pending"] >= 1);
        Assert.True(published["gensyn.settlement.orders.oldest.age"] >= TimeSpan.FromDays(3650).TotalSeconds);

        Watch(settlement);
        Sys.Stop(settlement);
        ExpectTerminated(settlement);
        Assert.True(Gauges()["gensyn.settlement.orders.oldest.age"] < TimeSpan.FromDays(3000).TotalSeconds);
    }

    /// <summary>The settlement gauges of the Gensyn meter, observed now.</summary>
    private static Dictionary<string, double> Gauges()
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GensynMeter.Name && instrument.Name.StartsWith("gensyn.settlement."))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    private sealed class Idle : ReceiveActor;
}

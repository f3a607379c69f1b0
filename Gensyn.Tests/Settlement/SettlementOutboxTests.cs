using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Settlement;

/// <summary>The SettlementActor's outbox rules: one entry per settlement id, one order at a time in arrival order, hashes and outcomes kept.</summary>
public class SettlementOutboxTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static SettlementOrder Order(string id, int round = 0) =>
        new(id, (JobId)"job-0123abcd", SettlementKind.PayRound, round, [new SettlementPayee("worker-1", "0x1111111111111111111111111111111111111111", 16_000)], 1, 1);

    private static SettlementSettled Outcome(string id, string? txHash = "0xfeed", SettlementStatus status = SettlementStatus.Confirmed) =>
        new((JobId)"job-0123abcd", id, SettlementKind.PayRound, status, txHash, 51_234, 16_000, status == SettlementStatus.Reverted ? "RoundAlreadyPaid" : "", T0);

    private static SettlementOutbox With(params ISettlementEvent[] events)
    {
        var outbox = new SettlementOutbox();
        foreach (var e in events) outbox.Apply(e);
        return outbox;
    }

    [Fact]
    public void A_second_copy_of_an_order_is_not_new_and_adds_no_entry()
    {
        var outbox = new SettlementOutbox();
        Assert.Equal((true, (SettlementSettled?)null), outbox.Check(Order("0xa")));

        outbox.Apply(new SettlementIntended(Order("0xa"), T0));

        Assert.Equal((false, (SettlementSettled?)null), outbox.Check(Order("0xa")));
        // A copy with other contents but the same id is still the same order.
        Assert.False(outbox.Check(Order("0xa", round: 7)).IsNew);
        Assert.True(outbox.Check(Order("0xb")).IsNew);

        outbox.Apply(new SettlementIntended(Order("0xa", round: 7), T0.AddSeconds(1)));

        Assert.Equal(1, outbox.Count);
        var entry = Assert.Single(outbox.Unfinished);
        Assert.Equal(0, entry.Order.Round);
    }

    [Fact]
    public void A_snapshot_restores_every_order_its_hash_its_outcome_and_the_queue()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementIntended(Order("0xb"), T0), new SettlementIntended(Order("0xc"), T0),
            new SettlementSent("0xb", "0xhash-b", T0), new SettlementFinished(Outcome("0xa")));

        var restored = SettlementOutbox.FromSnapshot(outbox.ToSnapshot());

        Assert.Equal(["0xb", "0xc"], restored.Unfinished.Select(e => e.Order.SettlementId));
        Assert.Equal("0xhash-b", restored.Find("0xb")!.TxHash);
        Assert.Equal(outbox.Check(Order("0xa")), restored.Check(Order("0xa")));
        Assert.Equal(outbox.Recent(10), restored.Recent(10));
        // Events after the snapshot apply on top as usual.
        restored.Apply(new SettlementFinished(Outcome("0xb")));
        Assert.Equal("0xc", restored.Next!.Order.SettlementId);
    }

    [Fact]
    public void An_order_that_fails_for_now_waits_behind_the_others_and_keeps_its_hash()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementIntended(Order("0xb"), T0), new SettlementSent("0xa", "0xhash", T0));

        outbox.Defer("0xa");
        Assert.Equal(["0xb", "0xa"], outbox.Unfinished.Select(e => e.Order.SettlementId));
        Assert.Equal("0xhash", outbox.Find("0xa")!.TxHash);

        // A finished order is not brought back by deferring it.
        outbox.Apply(new SettlementFinished(Outcome("0xb")));
        outbox.Defer("0xb");
        Assert.Equal(["0xa"], outbox.Unfinished.Select(e => e.Order.SettlementId));
    }

    [Fact]
    public void Orders_come_out_one_at_a_time_in_the_order_they_arrived()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementIntended(Order("0xb"), T0), new SettlementIntended(Order("0xc"), T0));

        Assert.Equal("0xa", outbox.Next!.Order.SettlementId);
        Assert.Equal(["0xa", "0xb", "0xc"], outbox.Unfinished.Select(e => e.Order.SettlementId));

        // Finishing a later order first does not let it jump the queue or change which order is next.
        outbox.Apply(new SettlementFinished(Outcome("0xc")));
        Assert.Equal("0xa", outbox.Next!.Order.SettlementId);
        Assert.Equal(["0xa", "0xb"], outbox.Unfinished.Select(e => e.Order.SettlementId));

        outbox.Apply(new SettlementFinished(Outcome("0xa")));
        Assert.Equal("0xb", outbox.Next!.Order.SettlementId);

        outbox.Apply(new SettlementFinished(Outcome("0xb")));
        Assert.Null(outbox.Next);
        Assert.Empty(outbox.Unfinished);
        Assert.Equal(3, outbox.Count);
    }

    [Fact]
    public void SettlementSent_records_the_transaction_hash_and_leaves_the_order_unfinished()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0));
        Assert.Null(outbox.Find("0xa")!.TxHash);

        outbox.Apply(new SettlementSent("0xa", "0xdeadbeef", T0.AddSeconds(1)));

        var entry = outbox.Find("0xa")!;
        Assert.Equal("0xdeadbeef", entry.TxHash);
        Assert.False(entry.Finished);
        Assert.Equal("0xdeadbeef", outbox.Next!.TxHash);
        Assert.Equal((false, (SettlementSettled?)null), outbox.Check(Order("0xa")));

        // A replacement transaction (resent after a restart) replaces the hash.
        outbox.Apply(new SettlementSent("0xa", "0xcafe", T0.AddSeconds(2)));
        Assert.Equal("0xcafe", outbox.Find("0xa")!.TxHash);
    }

    [Fact]
    public void SettlementFinished_removes_the_order_from_the_queue_and_keeps_its_outcome_for_later_copies()
    {
        var outcome = Outcome("0xa", txHash: "0xmined");
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementIntended(Order("0xb"), T0),
            new SettlementSent("0xa", "0xsent", T0));

        outbox.Apply(new SettlementFinished(outcome));

        Assert.Equal(["0xb"], outbox.Unfinished.Select(e => e.Order.SettlementId));
        Assert.Equal("0xb", outbox.Next!.Order.SettlementId);
        var entry = outbox.Find("0xa")!;
        Assert.True(entry.Finished);
        Assert.Same(outcome, entry.Outcome);
        Assert.Equal("0xmined", entry.TxHash);
        var (isNew, again) = outbox.Check(Order("0xa"));
        Assert.False(isNew);
        Assert.Same(outcome, again);
    }

    [Fact]
    public void An_outcome_without_a_hash_keeps_the_hash_that_was_sent()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementSent("0xa", "0xsent", T0));

        outbox.Apply(new SettlementFinished(Outcome("0xa", txHash: null, status: SettlementStatus.Reverted)));

        var entry = outbox.Find("0xa")!;
        Assert.Equal("0xsent", entry.TxHash);
        Assert.Equal(SettlementStatus.Reverted, entry.Outcome!.Status);
    }

    [Fact]
    public void Events_for_unknown_settlement_ids_are_ignored()
    {
        var outbox = With(new SettlementIntended(Order("0xa"), T0));

        outbox.Apply(new SettlementSent("0xunknown", "0xhash", T0));
        outbox.Apply(new SettlementFinished(Outcome("0xother")));

        Assert.Equal(1, outbox.Count);
        Assert.Null(outbox.Find("0xunknown"));
        Assert.Null(outbox.Find("0xother"));
        Assert.True(outbox.Check(Order("0xother")).IsNew);
        var entry = Assert.Single(outbox.Unfinished);
        Assert.Equal("0xa", entry.Order.SettlementId);
        Assert.Null(entry.TxHash);
        Assert.Null(entry.Outcome);

        var empty = With(new SettlementSent("0xa", "0xhash", T0), new SettlementFinished(Outcome("0xa")));
        Assert.Equal(0, empty.Count);
        Assert.Null(empty.Next);
    }

    [Fact]
    public void A_finished_orders_later_SettlementSent_or_copy_does_not_reopen_it()
    {
        var outcome = Outcome("0xa", txHash: "0xmined");
        var outbox = With(new SettlementIntended(Order("0xa"), T0), new SettlementFinished(outcome));

        outbox.Apply(new SettlementSent("0xa", "0xlate", T0.AddSeconds(5)));
        outbox.Apply(new SettlementIntended(Order("0xa"), T0.AddSeconds(6)));
        outbox.Apply(new SettlementFinished(Outcome("0xa", txHash: "0xother", status: SettlementStatus.Reverted)));

        Assert.Null(outbox.Next);
        Assert.Empty(outbox.Unfinished);
        Assert.Equal(1, outbox.Count);
        var entry = outbox.Find("0xa")!;
        Assert.True(entry.Finished);
        Assert.Equal("0xmined", entry.TxHash);
        Assert.Same(outcome, entry.Outcome);
        Assert.Same(outcome, outbox.Check(Order("0xa")).Outcome);
    }
}

using Gensyn.Actors.Scheduling;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>
/// Why waiting shards wait (<see cref="WaitingReasons{TRef}"/>): each is told once per change, and a shard that joins a
/// long queue is told without every other shard being reconsidered.
/// </summary>
public class WaitingReasonsTests
{
    private static readonly ShardNeeds Cuda = new("cuda", 0, 1, null);

    private static WorkRequest<string> Request(int shard, ShardNeeds? needs = null) =>
        new((JobId)"job-0123abcd", 0, shard, $"shard-{shard}", null, null, needs);

    private static WorkerEntry<string> Worker(string id, string device = "cpu") =>
        new((WorkerId)id, "ref-" + id, device, 16, 1, "cpu-x64-libtorch2.10-t1", 0.2, "", 100);

    private static void Enqueue(SchedulerState<string> state, WaitingReasons<string> reasons, WorkRequest<string> r)
    {
        state.Enqueue(r);
        reasons.Queued(r);
    }

    [Fact]
    public void Each_waiting_shard_is_told_its_reason_once_and_again_only_when_it_changes()
    {
        var (state, reasons) = (new SchedulerState<string>(), new WaitingReasons<string>());
        for (var i = 0; i < 3; i++) Enqueue(state, reasons, Request(i, Cuda));

        var first = reasons.Notices(state);
        Assert.Equal(new[] { "shard-0", "shard-1", "shard-2" }, first.Select(n => n.Request.Requester).Order());
        Assert.All(first, n => Assert.Equal("no worker is registered", n.Reason));
        Assert.Empty(reasons.Notices(state));

        state.Register(Worker("cpu-box"));
        var second = reasons.Notices(state);
        Assert.Equal(3, second.Count);
        Assert.All(second, n => Assert.Contains("device cuda", n.Reason));
        Assert.Empty(reasons.Notices(state));
    }

    [Fact]
    public void A_shard_that_joins_a_long_queue_is_the_only_one_told()
    {
        var (state, reasons) = (new SchedulerState<string>(), new WaitingReasons<string>());
        state.Register(Worker("cpu-box"));
        for (var i = 0; i < 1000; i++) Enqueue(state, reasons, Request(i, Cuda));
        Assert.Equal(1000, reasons.Notices(state).Count);

        Enqueue(state, reasons, Request(1000, Cuda));
        var notice = Assert.Single(reasons.Notices(state));
        Assert.Equal("shard-1000", notice.Request.Requester);
        Assert.Contains("device cuda", notice.Reason);
    }

    [Fact]
    public void A_shard_granted_and_queued_again_is_told_again()
    {
        var (state, reasons) = (new SchedulerState<string>(), new WaitingReasons<string>());
        state.Register(Worker("cpu-box"));
        Enqueue(state, reasons, Request(0));
        Enqueue(state, reasons, Request(1));
        var (granted, _) = Assert.Single(state.Match());
        reasons.Forget(granted.Requester);
        var waiting = Assert.Single(reasons.Notices(state));
        Assert.NotEqual(granted.Requester, waiting.Request.Requester);
        Assert.Contains("busy", waiting.Reason);

        state.Release(granted.Requester, completed: false);
        Enqueue(state, reasons, granted);
        // The reason of their kind did not change: only the shard queued again hears it.
        var again = Assert.Single(reasons.Notices(state));
        Assert.Equal(granted.Requester, again.Request.Requester);
    }
}

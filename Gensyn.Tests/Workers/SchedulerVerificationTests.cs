using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;

namespace Gensyn.Tests.Workers;

/// <summary>The scheduler's part in verification: excluded workers and providers, and each worker's record of verdicts.</summary>
public class SchedulerVerificationTests
{
    private static WorkerEntry<string> Worker(string id, double price = 0.2, string? reference = null, string address = "") =>
        new((WorkerId)id, reference ?? "ref-" + id, "cpu", 16, 1, "cpu-x64-libtorch2.10-t1", price, address);

    private static WorkRequest<string> Request(int shard, IReadOnlyCollection<WorkerId>? exclude = null, IReadOnlyCollection<string>? excludeAddresses = null) =>
        new((JobId)"job-0123abcd", 0, shard, $"shard-actor-{shard}", exclude, excludeAddresses);

    private static List<(string Requester, string Worker)> Grants(SchedulerState<string> state) =>
        state.Match().Select(g => (g.Request.Requester, g.Worker.WorkerId.Value)).ToList();

    [Fact]
    public void A_request_is_never_granted_a_worker_it_excludes_by_id()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1", price: 0.1));   // cheaper: the one chosen without exclusions
        state.Register(Worker("worker-2", price: 0.5));
        state.Enqueue(Request(0, exclude: [(WorkerId)"worker-1"]));

        Assert.Equal([("shard-actor-0", "worker-2")], Grants(state));
        Assert.Null(state.Workers.Single(w => w.WorkerId == "worker-1").BusyWith);
    }

    [Fact]
    public void A_request_is_never_granted_a_worker_of_an_excluded_address_whatever_its_case()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1", price: 0.1, address: "0xAbCdEf0123456789aBcDeF0123456789ABCDEF01"));
        state.Register(Worker("worker-2", price: 0.5, address: "0x1111111111111111111111111111111111111111"));
        state.Enqueue(Request(0, excludeAddresses: ["0xabcdef0123456789abcdef0123456789abcdef01"]));

        Assert.Equal([("shard-actor-0", "worker-2")], Grants(state));
    }

    [Fact]
    public void A_worker_with_another_id_of_an_excluded_provider_is_excluded_too()
    {
        var state = new SchedulerState<string>();
        const string provider = "0x2222222222222222222222222222222222222222";
        state.Register(Worker("worker-1b", address: provider));
        state.Enqueue(Request(0, exclude: [(WorkerId)"worker-1a"], excludeAddresses: [provider.ToUpperInvariant().Replace("0X", "0x")]));

        Assert.Empty(state.Match());
        Assert.Single(state.Queue);
    }

    [Fact]
    public void Exclusions_by_id_and_address_do_not_rule_out_other_workers()
    {
        var request = Request(0, exclude: [(WorkerId)"worker-1"], excludeAddresses: ["0x3333333333333333333333333333333333333333"]);

        Assert.True(request.Allows(Worker("worker-2", address: "0x4444444444444444444444444444444444444444")));
        Assert.True(request.Allows(Worker("worker-3")));
        Assert.False(request.Allows(Worker("worker-1", address: "0x4444444444444444444444444444444444444444")));
        Assert.False(request.Allows(Worker("worker-4", address: "0x3333333333333333333333333333333333333333")));
    }

    [Fact]
    public void A_request_whose_exclusions_rule_out_every_idle_worker_keeps_its_place_while_the_next_is_served()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Enqueue(Request(0, exclude: [(WorkerId)"worker-1"]));
        state.Enqueue(Request(1));
        state.Enqueue(Request(2));

        Assert.Equal([("shard-actor-1", "worker-1")], Grants(state));
        Assert.Equal(["shard-actor-0", "shard-actor-2"], state.Queue.Select(q => q.Requester));

        // A worker it allows arrives: the excluded request is still first in line and gets it.
        state.Register(Worker("worker-2"));
        Assert.Equal([("shard-actor-0", "worker-2")], Grants(state));
        Assert.Equal(["shard-actor-2"], state.Queue.Select(q => q.Requester));
    }

    [Fact]
    public void Enqueueing_again_replaces_the_requesters_earlier_request_and_keeps_its_place()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0));
        state.Enqueue(Request(1));
        state.Enqueue(Request(0, exclude: [(WorkerId)"worker-1"]));

        Assert.Equal(["shard-actor-0", "shard-actor-1"], state.Queue.Select(q => q.Requester));
        Assert.Equal(["worker-1"], state.Queue[0].Exclude!.Select(id => id.Value));

        // The replacement's exclusions are the ones that apply.
        state.Register(Worker("worker-1"));
        Assert.Equal([("shard-actor-1", "worker-1")], Grants(state));
        Assert.Equal(["shard-actor-0"], state.Queue.Select(q => q.Requester));
    }

    [Fact]
    public void Accepted_verdicts_count_and_extend_the_honest_streak()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));

        for (var i = 0; i < 3; i++) state.Judged((WorkerId)"worker-1", accepted: true);

        var w = state.Workers.Single();
        Assert.Equal((3, 0, 3), (w.Accepted, w.Rejected, w.HonestStreak));
    }

    [Fact]
    public void A_rejection_counts_and_resets_the_honest_streak_but_keeps_the_accepted_count()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        for (var i = 0; i < 12; i++) state.Judged((WorkerId)"worker-1", accepted: true);

        state.Judged((WorkerId)"worker-1", accepted: false);
        var w = state.Workers.Single();
        Assert.Equal((12, 1, 0), (w.Accepted, w.Rejected, w.HonestStreak));

        state.Judged((WorkerId)"worker-1", accepted: true);
        Assert.Equal((13, 1, 1), (w.Accepted, w.Rejected, w.HonestStreak));
    }

    [Fact]
    public void A_verdict_only_counts_for_the_worker_it_names()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Register(Worker("worker-2"));

        state.Judged((WorkerId)"worker-2", accepted: false);
        state.Judged((WorkerId)"worker-9", accepted: false);   // unknown: ignored

        Assert.Equal((0, 0, 0), (state.Workers[0].Accepted, state.Workers[0].Rejected, state.Workers[0].HonestStreak));
        Assert.Equal((0, 1, 0), (state.Workers[1].Accepted, state.Workers[1].Rejected, state.Workers[1].HonestStreak));
        Assert.Equal(2, state.Workers.Count);
    }

    [Fact]
    public void A_worker_that_registers_from_a_new_process_keeps_its_verdict_counts()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1", reference: "process-a"));
        for (var i = 0; i < 4; i++) state.Judged((WorkerId)"worker-1", accepted: true);
        state.Judged((WorkerId)"worker-1", accepted: false);
        for (var i = 0; i < 2; i++) state.Judged((WorkerId)"worker-1", accepted: true);

        var fresh = state.Register(Worker("worker-1", reference: "process-b"));

        Assert.Equal("process-b", fresh.Ref);
        Assert.Same(fresh, state.Workers.Single());
        Assert.Equal((6, 1, 2), (fresh.Accepted, fresh.Rejected, fresh.HonestStreak));
    }

    [Fact]
    public void A_worker_that_registers_again_from_the_same_process_keeps_its_entry()
    {
        var state = new SchedulerState<string>();
        var first = state.Register(Worker("worker-1"));
        state.Judged((WorkerId)"worker-1", accepted: true);

        var again = state.Register(Worker("worker-1"));

        Assert.Same(first, again);
        Assert.Equal((1, 0, 1), (again.Accepted, again.Rejected, again.HonestStreak));
    }
}

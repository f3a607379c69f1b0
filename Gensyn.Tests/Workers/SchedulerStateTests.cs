using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;

namespace Gensyn.Tests.Workers;

/// <summary>The scheduler's rules without actors; refs are plain strings.</summary>
public class SchedulerStateTests
{
    private static WorkerEntry<string> Worker(string id, double price = 0.2, string? reference = null) =>
        new((WorkerId)id, reference ?? "ref-" + id, "cpu", 16, 1, "cpu-x64-libtorch2.10-t1", price);

    private static WorkRequest<string> Request(int shard, string job = "job-0123abcd", int round = 0) =>
        new((JobId)job, round, shard, $"shard-actor-{job}-{round}-{shard}");

    /// <summary>A round-1 request of <paramref name="shard"/> whose last round's worker was <paramref name="worker"/>.
    /// </summary>
    private static WorkRequest<string> Prefers(int shard, string worker) =>
        Request(shard, round: 1) with { Preferred = (WorkerId)worker };

    /// <summary>Grants as (requester, worker id) pairs.</summary>
    private static List<(string Requester, string Worker)> Grants(SchedulerState<string> state) =>
        state.Match().Select(g => (g.Request.Requester, g.Worker.WorkerId.Value)).ToList();

    [Fact]
    public void A_request_without_any_worker_waits_in_the_queue()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0));

        Assert.Empty(state.Match());
        Assert.Equal([Request(0)], state.Queue);
    }

    [Fact]
    public void A_request_waits_while_every_worker_is_busy()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Enqueue(Request(0));
        state.Enqueue(Request(1));

        Assert.Equal([(Request(0).Requester, "worker-1")], Grants(state));
        Assert.Empty(state.Match());
        Assert.Equal([Request(1)], state.Queue);
    }

    [Fact]
    public void A_worker_that_registers_later_is_granted_to_the_waiting_request()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0));
        Assert.Empty(state.Match());

        state.Register(Worker("worker-1"));
        var grant = Assert.Single(state.Match());

        Assert.Equal(Request(0), grant.Request);
        Assert.Equal("worker-1", grant.Worker.WorkerId);
        Assert.Equal(Request(0).Label, grant.Worker.BusyWith);
        Assert.Equal(Request(0).Requester, grant.Worker.GrantedTo);
        Assert.Empty(state.Queue);
    }

    [Fact]
    public void Waiting_requests_are_granted_first_come_first_served()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        foreach (var shard in new[] { 2, 0, 1 }) state.Enqueue(Request(shard));

        var granted = new List<string>();
        granted.AddRange(Grants(state).Select(g => g.Requester));
        for (var i = 0; i < 2; i++)
        {
            state.Release(granted[^1], completed: true);
            granted.AddRange(Grants(state).Select(g => g.Requester));
        }

        Assert.Equal([Request(2).Requester, Request(0).Requester, Request(1).Requester], granted);
    }

    [Fact]
    public void Several_idle_workers_serve_several_requests_in_one_match()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Register(Worker("worker-2"));
        state.Enqueue(Request(0));
        state.Enqueue(Request(1));
        state.Enqueue(Request(2));

        var grants = Grants(state);

        Assert.Equal([(Request(0).Requester, "worker-1"), (Request(1).Requester, "worker-2")], grants);
        Assert.Equal([Request(2)], state.Queue);
    }

    [Fact]
    public void A_shard_takes_back_its_last_rounds_worker_when_it_is_idle_and_allowed_and_any_worker_otherwise()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("cheap", price: 0.1));
        state.Register(Worker("dear", price: 0.3));

        // Both idle: each shard gets its own worker back, though "cheap" ranks first and shard 0 asked first.
        state.Enqueue(Prefers(0, "dear"));
        state.Enqueue(Prefers(1, "cheap"));
        Assert.Equal([(Request(0, round: 1).Requester, "dear"), (Request(1, round: 1).Requester, "cheap")],
            Grants(state));

        // Its worker busy, a shard waits only while no worker is idle; an idle one serves it.
        state.Enqueue(Prefers(2, "dear"));
        state.Enqueue(Prefers(3, "cheap"));
        Assert.Empty(state.Match());
        state.Release(Request(1, round: 1).Requester, completed: true);
        Assert.Equal([(Request(3, round: 1).Requester, "cheap")], Grants(state));
        state.Register(Worker("new"));
        Assert.Equal([(Request(2, round: 1).Requester, "new")], Grants(state));

        // A preferred worker the request excludes is not taken.
        state.Release(Request(3, round: 1).Requester, completed: true);
        state.Enqueue(Prefers(4, "cheap") with { Exclude = [(WorkerId)"cheap"] });
        Assert.Empty(state.Match());
        Assert.Single(state.Queue);
    }

    [Fact]
    public void A_shard_waits_for_its_busy_last_worker_up_to_the_locality_wait_then_an_idle_one_takes_it()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var state = new SchedulerState<string> { LocalityWait = TimeSpan.FromSeconds(1), Clock = () => now };
        state.Register(Worker("worker-1"));
        state.Register(Worker("worker-2"));
        state.Enqueue(Prefers(0, "worker-1"));
        Assert.Equal([(Request(0, round: 1).Requester, "worker-1")], Grants(state));

        // worker-1 is busy with shard 0, worker-2 idle: shard 2 (worker-1's last round) waits for worker-1.
        state.Enqueue(Prefers(2, "worker-1"));
        Assert.Empty(state.Match());
        Assert.True(state.Held(Prefers(2, "worker-1")));
        Assert.Empty(state.Unheld());
        Assert.Equal(now.AddSeconds(1), state.LocalityDeadline());

        // worker-1 frees within the wait: it gets its shard back.
        now = now.AddMilliseconds(400);
        state.Release(Request(0, round: 1).Requester, completed: true);
        Assert.Equal([(Request(2, round: 1).Requester, "worker-1")], Grants(state));

        // Past the wait, the idle worker takes the shard.
        state.Enqueue(Prefers(4, "worker-1"));
        now = now.AddMilliseconds(999);
        Assert.Empty(state.Match());
        now = now.AddMilliseconds(1);
        Assert.Null(state.LocalityDeadline());
        Assert.Equal([(Request(4, round: 1).Requester, "worker-2")], Grants(state));
    }

    [Fact]
    public void A_shard_does_not_wait_for_a_last_worker_that_is_gone_or_excluded_or_with_no_locality_wait()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var state = new SchedulerState<string> { LocalityWait = TimeSpan.FromSeconds(1), Clock = () => now };
        state.Register(Worker("worker-1"));
        state.Register(Worker("worker-2"));
        state.Register(Worker("worker-3"));
        state.Enqueue(Prefers(0, "worker-1"));
        Assert.Single(Grants(state));

        // A worker that left the registry is not waited for, nor one the shard now excludes.
        state.Enqueue(Prefers(1, "worker-9"));
        state.Enqueue(Prefers(2, "worker-1") with { Exclude = [(WorkerId)"worker-1"] });
        Assert.Equal([(Request(1, round: 1).Requester, "worker-2"), (Request(2, round: 1).Requester, "worker-3")],
            Grants(state));

        // Without a locality wait a busy last worker is not waited for (the default of the rules alone).
        var plain = new SchedulerState<string>();
        plain.Register(Worker("worker-1"));
        plain.Register(Worker("worker-2"));
        plain.Enqueue(Prefers(0, "worker-1"));
        Assert.Single(Grants(plain));
        plain.Enqueue(Prefers(2, "worker-1"));
        Assert.Equal([(Request(2, round: 1).Requester, "worker-2")], Grants(plain));
        Assert.Null(plain.LocalityDeadline());
    }

    [Fact]
    public void A_requester_that_asks_twice_is_queued_once()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0));
        state.Enqueue(Request(0));

        Assert.Single(state.Queue);
    }

    [Fact]
    public void Releasing_a_worker_makes_it_idle_and_it_is_matched_to_the_next_request()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Enqueue(Request(0));
        state.Enqueue(Request(1));
        Grants(state);

        var released = state.Release(Request(0).Requester, completed: true);

        Assert.NotNull(released);
        Assert.Equal("worker-1", released.WorkerId);
        Assert.Null(released.BusyWith);
        Assert.Null(released.GrantedTo);
        Assert.Equal([(Request(1).Requester, "worker-1")], Grants(state));
    }

    [Fact]
    public void Releasing_counts_toward_reliability_completed_over_completed_plus_abandoned()
    {
        var state = new SchedulerState<string>();
        var worker = state.Register(Worker("worker-1"));
        Assert.Equal(1.0, worker.Reliability);

        foreach (var completed in new[] { true, true, true, false })
        {
            state.Enqueue(Request(0));
            Grants(state);
            state.Release(Request(0).Requester, completed);
        }

        Assert.Equal(3, worker.Completed);
        Assert.Equal(1, worker.Released);
        Assert.Equal(0.75, worker.Reliability);
    }

    [Fact]
    public void A_requester_that_stops_waiting_leaves_the_queue_and_frees_no_worker()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0));

        Assert.Null(state.Release(Request(0).Requester, completed: false));
        Assert.Empty(state.Queue);
        state.Register(Worker("worker-1"));
        Assert.Empty(state.Match());
    }

    [Fact]
    public void Releasing_a_requester_that_holds_no_worker_changes_no_worker()
    {
        var state = new SchedulerState<string>();
        var worker = state.Register(Worker("worker-1"));
        state.Enqueue(Request(0));
        Grants(state);

        Assert.Null(state.Release(Request(1).Requester, completed: false));
        Assert.Equal(Request(0).Requester, worker.GrantedTo);
        Assert.Equal(0, worker.Released);
    }

    [Fact]
    public void A_more_reliable_worker_is_preferred_over_a_cheaper_less_reliable_one()
    {
        var state = new SchedulerState<string>();
        var flaky = state.Register(Worker("flaky", price: 0.01));
        state.Register(Worker("steady", price: 0.5));
        // flaky abandons one shard: reliability 0.
        state.Enqueue(Request(9));
        Assert.Equal([(Request(9).Requester, "flaky")], Grants(state));
        state.Release(Request(9).Requester, completed: false);
        Assert.Equal(0.0, flaky.Reliability);

        state.Enqueue(Request(0));

        Assert.Equal([(Request(0).Requester, "steady")], Grants(state));
    }

    [Fact]
    public void Among_equally_reliable_workers_the_cheapest_is_granted()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("pricey", price: 0.9));
        state.Register(Worker("cheap", price: 0.1));
        state.Register(Worker("middle", price: 0.5));
        state.Enqueue(Request(0));

        Assert.Equal([(Request(0).Requester, "cheap")], Grants(state));
    }

    [Fact]
    public void Among_equally_reliable_and_priced_workers_the_earliest_registered_is_granted()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("first"));
        state.Register(Worker("second"));
        state.Enqueue(Request(0));

        Assert.Equal([(Request(0).Requester, "first")], Grants(state));
    }

    [Fact]
    public void Registering_again_from_the_same_ref_keeps_the_existing_entry_and_its_work()
    {
        var state = new SchedulerState<string>();
        var original = state.Register(Worker("worker-1"));
        state.Enqueue(Request(0));
        Grants(state);

        var again = state.Register(Worker("worker-1"));

        Assert.Same(original, again);
        Assert.Single(state.Workers);
        Assert.Equal(Request(0).Requester, again.GrantedTo);
        Assert.Equal(Request(0).Label, again.BusyWith);
    }

    [Fact]
    public void Registering_the_same_id_from_a_new_ref_replaces_the_entry_idle_and_keeps_its_record()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1", reference: "old-process"));
        state.Enqueue(Request(9));
        Grants(state);
        state.Release(Request(9).Requester, completed: true);
        state.Enqueue(Request(0));
        Grants(state);

        var replacement = state.Register(Worker("worker-1", reference: "new-process"));

        var entry = Assert.Single(state.Workers);
        Assert.Same(replacement, entry);
        Assert.Equal("new-process", entry.Ref);
        Assert.Null(entry.BusyWith);
        Assert.Null(entry.GrantedTo);
        Assert.Equal(1, entry.Completed);
        Assert.Equal((null, null), state.Remove("old-process"));
        state.Enqueue(Request(1));
        Assert.Equal([(Request(1).Requester, "worker-1")], Grants(state));
    }

    [Fact]
    public void Removing_a_busy_worker_returns_the_requester_it_was_granted_to()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Enqueue(Request(0));
        Grants(state);

        var (worker, grantedTo) = state.Remove("ref-worker-1");

        Assert.Equal("worker-1", worker!.WorkerId);
        Assert.Equal(Request(0).Requester, grantedTo);
        Assert.Empty(state.Workers);
    }

    [Fact]
    public void Removing_an_idle_worker_returns_it_with_no_requester()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));

        var (worker, grantedTo) = state.Remove("ref-worker-1");

        Assert.Equal("worker-1", worker!.WorkerId);
        Assert.Null(grantedTo);
        Assert.Empty(state.Workers);
    }

    [Fact]
    public void Removing_an_unknown_ref_changes_nothing()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));

        Assert.Equal((null, null), state.Remove("ref-stranger"));
        Assert.Single(state.Workers);
    }

    [Fact]
    public void A_removed_worker_is_never_granted_again()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("worker-1"));
        state.Remove("ref-worker-1");
        state.Enqueue(Request(0));

        Assert.Empty(state.Match());
        Assert.Single(state.Queue);
    }
}

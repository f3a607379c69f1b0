using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>
/// Replicated mode's liveness in the scheduler: a worker that holds one replica of a shard stays busy until the other
/// replica (always of another key) has a worker too, so replicas of different shards must never take every worker
/// between them. The scheduler actor with probes for the registry, the workers and the replicas asking for them.
/// </summary>
public class ReplicaSchedulingSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-0123abcd";
    private const string Class = "cpu-x64-libtorch2.10-t1";

    private readonly IActorRef _scheduler;

    public ReplicaSchedulingSpecs()
    {
        var registry = CreateTestProbe();
        _scheduler = registry.ChildActorOf(Scheduler.Props(new ThroughputCheck()), Scheduler.ChildName);
    }

    private void Admit(string id, string address) =>
        _scheduler.Tell(new WorkerAdmitted(new RegisterWorker((WorkerId)id, CreateTestProbe().Ref, "cpu", 16, 1, Class, 0.2,
            address, 640, 100)));

    private void Ask(TestProbe replica, int shard) =>
        _scheduler.Tell(new RequestWorker((JobId)JobId, 0, shard, replica.Ref, Replicated: true));

    /// <summary>
    /// Two honest workers (the third, a copycat, excluded) and two shards whose replicas ask one after the other,
    /// first replicas first: the second shard's first replica must not take the worker the first shard's second
    /// replica needs, or each worker holds a replica whose other half only the other worker could run.
    /// </summary>
    [Fact]
    public void Two_workers_and_the_first_replicas_of_two_shards_never_hold_a_worker_each()
    {
        Admit("honest-1", "0x1111111111111111111111111111111111111111");
        Admit("honest-2", "0x2222222222222222222222222222222222222222");
        var (s0r0, s2r0, s0r1, s2r1) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe(), CreateTestProbe());

        Ask(s0r0, 0);
        var first = s0r0.ExpectMsg<WorkerGranted>();
        Ask(s2r0, 2);
        Ask(s0r1, 0);
        var second = s0r1.ExpectMsg<WorkerGranted>();
        Assert.NotEqual(first.Address, second.Address);
        Ask(s2r1, 2);
        s2r0.FishForMessage<WorkerWaiting>(w => w.Reason.Contains("busy"));

        // Shard 0's pair is done: shard 2's pair gets both workers.
        _scheduler.Tell(new ReleaseWorker(first.WorkerId, s0r0.Ref, Completed: true));
        _scheduler.Tell(new ReleaseWorker(second.WorkerId, s0r1.Ref, Completed: true));
        var third = s2r0.FishForMessage<WorkerGranted>(_ => true);
        var fourth = s2r1.FishForMessage<WorkerGranted>(_ => true);
        Assert.NotEqual(third.Address, fourth.Address);
    }

    /// <summary>
    /// The same, with all four replicas queued before two workers register: one shard's pair gets both.
    /// </summary>
    [Fact]
    public void Replicas_queued_before_any_worker_registers_are_seated_as_a_pair()
    {
        var state = new SchedulerState<string>(new Random(17));
        foreach (var (shard, replica) in new[] { (0, 0), (2, 0), (0, 1), (2, 1) })
            state.Enqueue(new WorkRequest<string>((JobId)JobId, 0, shard, $"shard-{shard}-replica-{replica}",
                Replicated: true));
        state.Register(new WorkerEntry<string>((WorkerId)"honest-1", "ref-1", "cpu", 16, 1, Class, 0.2, "0x1111"));
        state.Register(new WorkerEntry<string>((WorkerId)"honest-2", "ref-2", "cpu", 16, 1, Class, 0.2, "0x2222"));

        var grants = state.Match().Select(g => g.Request.Requester).Order().ToList();

        Assert.Equal(["shard-0-replica-0", "shard-0-replica-1"], grants);
    }

    /// <summary>
    /// A replica whose other replica already holds a worker goes before every shard that holds none, so a worker that
    /// frees up completes a half-seated pair rather than starting another.
    /// </summary>
    [Fact]
    public void A_freed_worker_completes_a_half_seated_pair_before_it_starts_a_new_one()
    {
        var state = new SchedulerState<string>(new Random(17));
        state.Register(new WorkerEntry<string>((WorkerId)"honest-1", "ref-1", "cpu", 16, 1, Class, 0.2, "0x1111"));
        state.Register(new WorkerEntry<string>((WorkerId)"honest-2", "ref-2", "cpu", 16, 1, Class, 0.2, "0x2222"));
        state.Enqueue(new WorkRequest<string>((JobId)JobId, 0, 0, "shard-0-replica-0", Replicated: true));
        Assert.Single(state.Match());
        state.Enqueue(new WorkRequest<string>((JobId)"job-0456cdef", 0, 5, "other-job-shard"));
        state.Enqueue(new WorkRequest<string>((JobId)JobId, 0, 0, "shard-0-replica-1", Replicated: true));

        Assert.Equal("shard-0-replica-1", Assert.Single(state.Match()).Request.Requester);
    }
}

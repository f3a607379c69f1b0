using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The scheduler actor, with probes standing in for the registry (its parent), the workers and the shards that ask for
/// them: it matches, waits, frees and prices as <see cref="SchedulerState{TRef}"/> says, and tells the right actor.
/// </summary>
public class SchedulerSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-0123abcd";
    private const string Class = "cpu-x64-libtorch2.10-t1";

    private readonly TestProbe _registry;
    private readonly IActorRef _scheduler;

    public SchedulerSpecs()
    {
        _registry = CreateTestProbe();
        _scheduler = _registry.ChildActorOf(Scheduler.Props(new ThroughputCheck()), Scheduler.ChildName);
    }

    private static RegisterWorker Profile(string id, IActorRef worker, double price = 0.2, string device = "cpu",
                                          double memoryGb = 16) =>
        new((WorkerId)id, worker, device, memoryGb, 1, Class, price, $"0x{Math.Abs(id.GetHashCode()):x40}", 640, 100);

    private TestProbe Admitted(string id, double price = 0.2, string device = "cpu", double memoryGb = 16)
    {
        var worker = CreateTestProbe();
        _scheduler.Tell(new WorkerAdmitted(Profile(id, worker.Ref, price, device, memoryGb)));
        return worker;
    }

    private static RequestWorker Ask(TestProbe shard, int index = 0, ShardNeeds? needs = null) =>
        new((JobId)JobId, 0, index, shard.Ref, Needs: needs);

    [Fact]
    public void A_shard_that_waits_for_its_busy_last_worker_takes_an_idle_one_once_the_locality_wait_ends()
    {
        var first = Admitted("worker-1");
        var shard0 = CreateTestProbe();
        _scheduler.Tell(Ask(shard0) with { Round = 1, Preferred = (WorkerId)"worker-1" });
        Assert.Equal(first.Ref, shard0.ExpectMsg<WorkerGranted>().Worker);
        var second = Admitted("worker-2");

        // worker-1 is busy; the shard it trained last round waits for it, told why, though worker-2 is idle...
        var shard2 = CreateTestProbe();
        _scheduler.Tell(Ask(shard2, index: 2) with { Round = 1, Preferred = (WorkerId)"worker-1" });
        Assert.Contains("waits up to 1 s for the worker that trained it last round",
            shard2.ExpectMsg<WorkerWaiting>().Reason);

        // ... and with nothing else happening, worker-2 gets it when the wait (1 s by default) ends.
        Assert.Equal(second.Ref, shard2.ExpectMsg<WorkerGranted>(TimeSpan.FromSeconds(10)).Worker);
    }

    [Fact]
    public void A_shard_is_granted_the_cheapest_eligible_worker()
    {
        var dear = Admitted("dear", price: 0.5);
        var cheapest = Admitted("cheapest-but-small", price: 0.05, memoryGb: 2);
        var cheap = Admitted("cheap", price: 0.2);
        var shard = CreateTestProbe();

        _scheduler.Tell(Ask(shard, needs: new ShardNeeds("any", MinMemoryGb: 8, MaxPricePerHour: 1)));

        var granted = shard.ExpectMsg<WorkerGranted>();
        Assert.Equal("cheap", granted.WorkerId);
        Assert.Equal(cheap.Ref, granted.Worker);
        dear.ExpectNoMsg(TimeSpan.Zero);
        cheapest.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void A_shard_with_no_eligible_worker_waits_with_a_reason_and_is_served_when_one_is_admitted()
    {
        var shard = CreateTestProbe();
        _scheduler.Tell(Ask(shard, needs: new ShardNeeds("cuda", 0, 1)));
        Assert.Equal("no worker is registered", shard.ExpectMsg<WorkerWaiting>().Reason);

        Admitted("cpu-box");
        Assert.Contains("device cuda", shard.ExpectMsg<WorkerWaiting>().Reason);

        var gpu = Admitted("gpu-box", device: "cuda");
        var granted = shard.ExpectMsg<WorkerGranted>();
        Assert.Equal("gpu-box", granted.WorkerId);
        Assert.Equal(gpu.Ref, granted.Worker);
    }

    [Fact]
    public void A_worker_that_dies_is_released_its_shard_hears_it_and_the_registry_forgets_it()
    {
        var worker = Admitted("mortal");
        var shard = CreateTestProbe();
        _scheduler.Tell(Ask(shard));
        shard.ExpectMsg<WorkerGranted>();

        Sys.Stop(worker.Ref);

        Assert.Equal("mortal", shard.ExpectMsg<WorkerLost>().WorkerId);
        Assert.Equal(worker.Ref, _registry.ExpectMsg<WorkerDropped>().Worker);
        _scheduler.Tell(new ListWorkers(), TestActor);
        Assert.Empty(ExpectMsg<WorkerList>().Workers);
    }

    [Fact]
    public void A_released_worker_serves_the_next_waiting_shard_and_counts_the_completed_shard()
    {
        Admitted("only");
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        _scheduler.Tell(Ask(first, 0));
        first.ExpectMsg<WorkerGranted>();
        _scheduler.Tell(Ask(second, 1));
        Assert.Contains("busy", second.ExpectMsg<WorkerWaiting>().Reason);

        _scheduler.Tell(new ReleaseWorker((WorkerId)"only", first.Ref, Completed: true));

        Assert.Equal("only", second.ExpectMsg<WorkerGranted>().WorkerId);
        _scheduler.Tell(new ListWorkers(), TestActor);
        Assert.Equal(1, Assert.Single(ExpectMsg<WorkerList>().Workers).CompletedShards);
    }

    [Fact]
    public void A_worker_reported_gone_is_never_granted_again_and_the_registry_forgets_it()
    {
        var worker = Admitted("vanished");
        var first = CreateTestProbe();
        _scheduler.Tell(Ask(first));
        first.ExpectMsg<WorkerGranted>();

        _scheduler.Tell(new ReleaseWorker((WorkerId)"vanished", first.Ref, Completed: false, WorkerGone: true));

        Assert.Equal(worker.Ref, _registry.ExpectMsg<WorkerDropped>().Worker);
        var next = CreateTestProbe();
        _scheduler.Tell(Ask(next, 1));
        Assert.Equal("no worker is registered", next.ExpectMsg<WorkerWaiting>().Reason);
    }

    [Fact]
    public void A_dismissed_worker_loses_its_shard_and_gets_no_more_work()
    {
        var worker = Admitted("unbonded");
        var shard = CreateTestProbe();
        _scheduler.Tell(Ask(shard));
        shard.ExpectMsg<WorkerGranted>();

        _scheduler.Tell(new WorkerDismissed(worker.Ref));

        Assert.Equal("unbonded", shard.ExpectMsg<WorkerLost>().WorkerId);
        _scheduler.Tell(new ListWorkers(), TestActor);
        Assert.Empty(ExpectMsg<WorkerList>().Workers);
    }

    [Fact]
    public void A_new_process_of_an_admitted_id_takes_its_place_and_the_old_ones_shard_hears_it_is_lost()
    {
        Admitted("moving");
        var shard = CreateTestProbe();
        _scheduler.Tell(Ask(shard));
        shard.ExpectMsg<WorkerGranted>();

        var newProcess = Admitted("moving");

        Assert.Equal("moving", shard.ExpectMsg<WorkerLost>().WorkerId);
        var next = CreateTestProbe();
        _scheduler.Tell(Ask(next, 1));
        Assert.Equal(newProcess.Ref, next.ExpectMsg<WorkerGranted>().Worker);
    }

    [Fact]
    public void The_scheduler_prices_a_job_and_shows_the_market_to_whoever_asks()
    {
        Admitted("a", price: 0.1);
        Admitted("b", price: 0.3);

        _scheduler.Tell(new GetMarket(), TestActor);
        var cpu = Assert.Single(ExpectMsg<MarketView>().Classes);
        Assert.Equal(("cpu", 2, 2), (cpu.Class, cpu.Registered, cpu.Idle));

        _scheduler.Tell(new PriceJob(new ShardNeeds("any", 0, 1), Demand: 1), TestActor);
        Assert.Equal(0.1, ExpectMsg<JobPrice>().PricePerHour);
    }
}

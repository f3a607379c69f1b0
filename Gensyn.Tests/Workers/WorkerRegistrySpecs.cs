using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The worker registry, with probes standing in for the workers and the shards that ask it for one: it admits signed,
/// staked workers and hands them to its scheduler, and answers the shards' messages as it always did (it forwards
/// them).
/// </summary>
public class WorkerRegistrySpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-0123abcd";
    private const string Short = "stake 0 GENS is below the minimum of 10 GENS; run `gensyn stake 10`";

    private static RegisterWorker Signed(WorkerKey key, IActorRef worker, string id, double price = 0.2)
    {
        var profile = new RegisterWorker((WorkerId)id, worker, "cpu", 8, 1, WorkerOptions.NumericClassFor(1), price, key.Address,
            640, 100, IssuedAtUnixMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return profile with { Signature = ClaimSigner.Sign(key, CapabilityClaim.From(profile)) };
    }

    [Fact]
    public void A_shard_that_asks_the_registry_is_granted_the_cheapest_registered_worker()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props());
        var dear = CreateTestProbe();
        var cheap = CreateTestProbe();
        registry.Tell(Signed(WorkerKey.Generate(), dear.Ref, "dear", price: 0.9));
        registry.Tell(Signed(WorkerKey.Generate(), cheap.Ref, "cheap", price: 0.1));
        dear.ExpectMsg<WorkerRegistered>();
        cheap.ExpectMsg<WorkerRegistered>();
        var shard = CreateTestProbe();

        registry.Tell(new RequestWorker((JobId)JobId, 0, 0, shard.Ref));

        var granted = shard.ExpectMsg<WorkerGranted>();
        Assert.Equal(("cheap", cheap.Ref), (granted.WorkerId, granted.Worker));
    }

    [Fact]
    public void An_unstaked_worker_is_refused_and_never_matched_while_a_staked_one_is()
    {
        var unstaked = WorkerKey.Generate();
        var registry = Sys.ActorOf(WorkerRegistry.Props(address => Task.FromResult(
            string.Equals(address, unstaked.Address, StringComparison.OrdinalIgnoreCase) ? Short : null)));
        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)JobId, 0, 0, shard.Ref));
        Assert.Equal("no worker is registered", shard.ExpectMsg<WorkerWaiting>().Reason);

        var poor = CreateTestProbe();
        registry.Tell(Signed(unstaked, poor.Ref, "poor", price: 0.01));
        Assert.Equal(Short, poor.ExpectMsg<WorkerRefused>().Reason);
        registry.Tell(new ListWorkers(), TestActor);
        Assert.Empty(ExpectMsg<WorkerList>().Workers);

        var staked = CreateTestProbe();
        registry.Tell(Signed(WorkerKey.Generate(), staked.Ref, "staked", price: 0.5));
        staked.ExpectMsg<WorkerRegistered>();
        Assert.Equal("staked", shard.ExpectMsg<WorkerGranted>().WorkerId);
    }

    [Fact]
    public void A_worker_that_dies_is_released_and_must_register_again_before_it_is_matched()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props());
        var key = WorkerKey.Generate();
        var worker = CreateTestProbe();
        registry.Tell(Signed(key, worker.Ref, "mortal"));
        worker.ExpectMsg<WorkerRegistered>();
        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)JobId, 0, 0, shard.Ref));
        shard.ExpectMsg<WorkerGranted>();

        Sys.Stop(worker.Ref);

        Assert.Equal("mortal", shard.ExpectMsg<WorkerLost>().WorkerId);
        var next = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)JobId, 0, 1, next.Ref));
        Assert.Equal("no worker is registered", next.ExpectMsg<WorkerWaiting>().Reason);

        // The same id from a new process of the same key is admitted at once (the dead one holds nothing).
        var reborn = CreateTestProbe();
        registry.Tell(Signed(key, reborn.Ref, "mortal"));
        reborn.ExpectMsg<WorkerRegistered>();
        Assert.Equal(reborn.Ref, next.ExpectMsg<WorkerGranted>().Worker);
    }

    [Fact]
    public void A_second_live_process_of_a_registered_id_is_refused_and_the_first_keeps_its_place()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props());
        var key = WorkerKey.Generate();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        registry.Tell(Signed(key, first.Ref, "twin"));
        first.ExpectMsg<WorkerRegistered>();

        registry.Tell(Signed(key, second.Ref, "twin"));

        var refused = second.ExpectMsg<WorkerRefused>();
        Assert.Contains("in use by a live process", refused.Reason);
        Assert.Equal(RefusalKind.Temporary, refused.Kind);
        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)JobId, 0, 0, shard.Ref));
        Assert.Equal(first.Ref, shard.ExpectMsg<WorkerGranted>().Worker);
    }
}

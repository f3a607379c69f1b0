using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Security;

/// <summary>
/// H4 at the registry: an id is not a free-for-all once its process falls silent. Before the fix any key could take over an id silent
/// for 8 s, inheriting its accepted count and honest streak (and so lighter challenges).
/// </summary>
public class WorkerIdTakeoverTests : Akka.TestKit.Xunit2.TestKit
{
    private static RegisterWorker Register(WorkerKey key, IActorRef worker, string id)
    {
        var profile = new RegisterWorker((WorkerId)id, worker, "cpu", 8, 1, WorkerOptions.NumericClassFor(1), 0.2, key.Address,
            IssuedAtUnixMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return profile with { Signature = ClaimSigner.Sign(key, CapabilityClaim.From(profile)) };
    }

    [Fact]
    public void Another_key_cannot_take_over_a_silent_workers_id_but_the_same_key_from_a_new_process_can()
    {
        var owner = WorkerKey.Generate();
        var thief = WorkerKey.Generate();
        var clock = new Dashboard.ManualClock(DateTimeOffset.UtcNow);
        var registry = Sys.ActorOf(WorkerRegistry.Props(clock: clock));
        var first = CreateTestProbe();
        registry.Tell(Register(owner, first.Ref, "victim"));
        first.ExpectMsg<WorkerRegistered>();
        registry.Tell(new WorkerJudged((WorkerId)"victim", true));

        // The first process stays alive (watched) but stops re-registering: after 8 s it counts as silent.
        clock.Advance(TimeSpan.FromSeconds(8.5));
        var intruder = CreateTestProbe();
        registry.Tell(Register(thief, intruder.Ref, "victim"));
        var refused = intruder.ExpectMsg<WorkerRefused>();
        Assert.Contains(owner.Address, refused.Reason, StringComparison.OrdinalIgnoreCase);
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var restarted = CreateTestProbe();
        registry.Tell(Register(owner, restarted.Ref, "victim"));
        restarted.ExpectMsg<WorkerRegistered>();
        registry.Tell(new ListWorkers(), TestActor);
        var entry = Assert.Single(ExpectMsg<WorkerList>().Workers);
        Assert.Equal(owner.Address, entry.Address, ignoreCase: true);
        Assert.Equal(1, entry.AcceptedResults);   // its own record, carried to its new process
    }
}

using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Node.Cli;
using Gensyn.Tests.Workers;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// A worker whose key is convicted was turned away by the registry with a one-line reason, and registered again every
/// 3 s forever, logging the refusal each time. Now the registry says which refusals are final: a convicted key's, and a
/// profile that breaks the network's rules; the worker stops at the first with the reason (and <c>gensyn worker</c>
/// exits with <see cref="ExitCodes.KeyConvicted"/> or <see cref="ExitCodes.InvalidInput"/>), while a temporary refusal
/// (no stake yet, a rate limit, the id held by a live process) is retried as before. Each worker here is a real
/// <see cref="WorkerActor"/> whose session hands its registrations to a real <see cref="WorkerRegistry"/>.
/// </summary>
public sealed class RefusedForGoodTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private const double MaxPrice = 10;

    private static readonly Config Config =
        ConfigurationFactory.ParseString($"gensyn.workers.max-price-per-hour = {MaxPrice}");

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _dir = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    /// <summary>The worker's session: every registration goes to the registry, and a copy to the probe that counts
    /// them.</summary>
    private sealed class Session : ReceiveActor
    {
        public Session(IActorRef registry, IActorRef seen) => ReceiveAny(m =>
        {
            seen.Tell(m);
            registry.Forward(m);
        });
    }

    /// <summary>A worker of key <paramref name="key"/> asking <paramref name="price"/>, registering with
    /// <paramref name="registry"/>; <paramref name="seen"/> gets a copy of each registration.</summary>
    private IActorRef Worker(string id, WorkerKey key, IActorRef registry, TestProbe seen, double price = 0.2)
    {
        var options = new WorkerOptions((WorkerId)id, [], Path.Combine(_dir.Path, id), Threads: 1,
            PricePerHour: price);
        Directory.CreateDirectory(options.DataDirectory);
        key.Save(options.KeyFile);
        var link = new FakeCoordinatorLink { Session = _ => Props.Create(() => new Session(registry, seen.Ref)) };
        var worker = Sys.ActorOf(WorkerActor.Props(options, link), id);
        Watch(worker);
        return worker;
    }

    private TestProbe FinalRefusals()
    {
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(WorkerRefused));
        return refusals;
    }

    [Fact]
    public void A_worker_whose_key_is_convicted_stops_at_the_first_refusal_with_the_reason_and_never_registers_again()
    {
        var key = WorkerKey.Generate();
        var registry = Sys.ActorOf(WorkerRegistry.Props(), "registry-convicted");
        registry.Tell(new ConvictedKeys([new KeyConvicted(key.Address, ConvictionGround.Fraud,
            "round 0 shard 1: a forged Merkle root", "0xfeed", DateTimeOffset.UtcNow)]));
        var refusals = FinalRefusals();
        var seen = CreateTestProbe();

        var worker = Worker("convicted-1", key, registry, seen);

        var refused = refusals.ExpectMsg<WorkerRefused>(Patience);
        Assert.Equal(RefusalKind.Convicted, refused.Kind);
        Assert.True(refused.Final);
        Assert.Contains($"key {key.Address} is convicted (fraud: round 0 shard 1: a forged Merkle root",
            refused.Reason);
        Assert.DoesNotContain('\n', refused.Reason);
        ExpectTerminated(worker, Patience);
        // Its session and registration went with it: what it sent before the refusal reached it (a registration, or a
        // second one when a tick came first on a loaded machine) is all there will ever be.
        var sent = seen.ReceiveWhile(TimeSpan.FromMilliseconds(200), m => m);
        Assert.NotEmpty(sent);
        Assert.All(sent, m => Assert.Equal(key.Address, Assert.IsType<RegisterWorker>(m).Address));
        seen.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        refusals.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(ExitCodes.KeyConvicted, ExitCodes.RefusedForGood(refused.Kind));
    }

    [Fact]
    public void A_registered_worker_whose_key_is_convicted_is_dismissed_for_good_and_stops()
    {
        var key = WorkerKey.Generate();
        var registry = Sys.ActorOf(WorkerRegistry.Props(), "registry-dismissed");
        var refusals = FinalRefusals();
        var seen = CreateTestProbe();
        var worker = Worker("dismissed-1", key, registry, seen);
        seen.ExpectMsg<RegisterWorker>(Patience);
        // Admitted: the registry lists it.
        AwaitAssert(() =>
        {
            registry.Tell(new ListWorkers());
            Assert.Contains(ExpectMsg<WorkerList>().Workers, w => w.WorkerId == "dismissed-1");
        }, Patience);

        registry.Tell(new ConvictedKeys([new KeyConvicted(key.Address, ConvictionGround.Refusal,
            "3 challenges unanswered in a row", "0xbeef", DateTimeOffset.UtcNow)]));

        var refused = refusals.ExpectMsg<WorkerRefused>(Patience);
        Assert.Equal(RefusalKind.Convicted, refused.Kind);
        Assert.Contains("takes no more work on this network", refused.Reason);
        ExpectTerminated(worker, Patience);
    }

    [Fact]
    public void A_worker_whose_profile_breaks_the_networks_rules_stops_with_the_reason_and_gensyn_worker_exits_2()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props(), "registry-invalid");
        var refusals = FinalRefusals();
        var seen = CreateTestProbe();

        var worker = Worker("greedy-1", WorkerKey.Generate(), registry, seen, price: MaxPrice * 5);

        var refused = refusals.ExpectMsg<WorkerRefused>(Patience);
        Assert.Equal(RefusalKind.Invalid, refused.Kind);
        Assert.StartsWith("price per hour must be a number from 0 to 10 GENS, not 50; set --price", refused.Reason);
        ExpectTerminated(worker, Patience);
        seen.ExpectMsg<RegisterWorker>();
        seen.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(ExitCodes.InvalidInput, ExitCodes.RefusedForGood(refused.Kind));
    }

    [Fact]
    public void A_worker_refused_for_a_temporary_reason_keeps_registering()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props(stakeProblem: _ =>
            Task.FromResult<string?>("stake 0 GENS is below the network's minimum of 100 GENS; run gensyn stake")),
            "registry-unstaked");
        var refusals = FinalRefusals();
        var seen = CreateTestProbe();
        var told = CreateTestProbe();

        var worker = Worker("unstaked-1", WorkerKey.Generate(), registry, seen);

        // It registers again after each refusal, and is still there to stake and register.
        for (var attempt = 0; attempt < 3; attempt++) seen.ExpectMsg<RegisterWorker>(Patience);
        worker.Tell(new Identify("alive"), told.Ref);
        Assert.Equal(worker, told.ExpectMsg<ActorIdentity>(Patience).Subject);
        refusals.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Each_final_refusal_has_its_own_exit_code_and_none_is_another_commands()
    {
        Assert.Equal(77, ExitCodes.RefusedForGood(RefusalKind.Convicted));
        Assert.Equal(ExitCodes.InvalidInput, ExitCodes.RefusedForGood(RefusalKind.Invalid));
        Assert.DoesNotContain(ExitCodes.KeyConvicted, new[]
        {
            ExitCodes.Success, ExitCodes.Failure, ExitCodes.InvalidInput, ExitCodes.ResultsRevoked,
            ExitCodes.RateLimited,
        });
        Assert.False(new WorkerRefused((WorkerId)"w", "stake not yet on chain").Final);
    }
}

using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Xunit.Abstractions;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The worker's registration, with probes for its parent (the worker), the worker its profile names and the session
/// to the coordinators, and a link with no coordinator behind it.
/// </summary>
public sealed class WorkerRegistrationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory _dir = new();
    private readonly TestProbe _parent;
    private readonly TestProbe _worker;
    private readonly TestProbe _coordinators;

    public WorkerRegistrationActorTests(ITestOutputHelper output) : base(output: output)
    {
        _parent = CreateTestProbe("worker-parent");
        _worker = CreateTestProbe("worker");
        _coordinators = CreateTestProbe("session");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    private WorkerCompute Compute(FakeCoordinatorLink link) =>
        new(new WorkerOptions((WorkerId)"registrant", [], _dir.Path, Threads: 1, PricePerHour: 0.3), link);

    [Fact]
    public void A_worker_off_chain_sends_its_signed_profile_once_its_throughput_and_bandwidth_are_measured()
    {
        using var compute = Compute(new FakeCoordinatorLink());
        _parent.ChildActorOf(WorkerRegistrationActor.Props(compute, _worker.Ref, _coordinators.Ref));

        var known = _parent.ExpectMsg<WorkerMessages.NetworkKnown>(TimeSpan.FromSeconds(30));
        Assert.Equal(ClaimDomain.None, known.Network);
        var profile = _coordinators.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(30));
        Assert.Equal(("registrant", 250.0, 0.3), (profile.WorkerId, profile.BandwidthMbps, profile.PricePerHour));
        Assert.Equal(_worker.Ref, profile.Worker);
        Assert.Equal(compute.Key.Address, profile.Address);
        Assert.True(profile.Throughput >= 0);
        var claim = CapabilityClaim.From(profile, ClaimDomain.None);
        Assert.True(ClaimSigner.Verify(claim, profile.Signature, compute.Key.Address));
    }

    [Fact]
    public void A_worker_without_a_price_registers_at_its_default_ask_for_the_throughput_it_measured()
    {
        var rule = new Gensyn.Actors.Market.DefaultAsk(0.25, 0.17, 1280);
        using var compute = new WorkerCompute(
            new WorkerOptions((WorkerId)"registrant", [], _dir.Path, Threads: 1, PricePerHour: null) { DefaultAsk = rule },
            new FakeCoordinatorLink());
        _parent.ChildActorOf(WorkerRegistrationActor.Props(compute, _worker.Ref, _coordinators.Ref));

        var profile = _coordinators.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(30));
        Assert.True(profile.Throughput > 0, $"measured {profile.Throughput}");
        Assert.Equal(rule.For(profile.Throughput), profile.PricePerHour);
        Assert.True(ClaimSigner.Verify(CapabilityClaim.From(profile, ClaimDomain.None), profile.Signature, compute.Key.Address));
    }

    [Fact]
    public void Every_message_the_coordinators_send_about_registration_is_handled()
    {
        using var compute = Compute(new FakeCoordinatorLink());
        var registration = _parent.ChildActorOf(WorkerRegistrationActor.Props(compute, _worker.Ref, _coordinators.Ref));
        var unhandled = CreateTestProbe("unhandled");
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(Akka.Event.UnhandledMessage));

        registration.Tell(new WorkerRegistered((WorkerId)"registrant"));
        registration.Tell(new WorkerRefused((WorkerId)"registrant", "stake not yet on chain"));
        registration.Tell(new CoordinatorLost("edge closed"));
        unhandled.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_worker_whose_bandwidth_cannot_be_measured_does_not_register()
    {
        var link = new FakeCoordinatorLink { Bandwidth = () => Task.FromException<double>(new IOException("no edge")) };
        using var compute = Compute(link);
        _parent.ChildActorOf(WorkerRegistrationActor.Props(compute, _worker.Ref, _coordinators.Ref));

        _parent.ExpectMsg<WorkerMessages.NetworkKnown>(TimeSpan.FromSeconds(30));
        _coordinators.ExpectNoMsg(TimeSpan.FromSeconds(4));
    }
}

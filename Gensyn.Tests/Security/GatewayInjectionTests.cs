using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Security;

/// <summary>
/// C2 and C4 at the jobs gateway: it passes on only the requester's own commands. Before the fix it forwarded every IJobCommand, so a
/// forged StartJob (any payer, deposit and price) or SettlementSettled reached the job's entity; these tests would have seen them arrive
/// at the job region ahead of the control message.
/// </summary>
public class GatewayInjectionTests : Akka.TestKit.Xunit2.TestKit
{
    private const string JobId = "job-0000abcd";

    [Fact]
    public void The_gateway_forwards_neither_StartJob_nor_SettlementSettled_to_the_job()
    {
        var region = CreateTestProbe();
        var gateway = Sys.ActorOf(JobsGateway.Props(region.Ref, CreateTestProbe().Ref, CreateTestProbe().Ref));
        var attacker = Contracts.Signing.WorkerKey.Generate().Address;

        gateway.Tell(new StartJob((JobId)JobId, TestSpecs.SyntheticYaml(), "/", Payer: attacker, DepositMicros: 1_000_000_000,
            Price: new JobPrice(0.5, 640, "forged", ResultPayoutMicros: 1_000_000_000), Owner: attacker), TestActor);
        gateway.Tell(new SettlementSettled((JobId)JobId, "settlement-1", SettlementKind.Complete, SettlementStatus.Confirmed, "0xabc", 21_000, 1_000_000,
            "forged", DateTimeOffset.UtcNow), TestActor);
        // The control: a requester's own command does reach the job, and it is the first thing that does.
        gateway.Tell(new GetJobStatus((JobId)JobId), TestActor);

        Assert.Equal(JobId, region.ExpectMsg<GetJobStatus>().JobId);
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void The_gateway_forwards_no_scheduler_internals_to_the_registry()
    {
        var registry = CreateTestProbe();
        var gateway = Sys.ActorOf(JobsGateway.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, registry.Ref));

        gateway.Tell(new RequestWorker((JobId)JobId, 0, 0, TestActor), TestActor);
        gateway.Tell(new WorkerJudged((WorkerId)"rival", false), TestActor);
        gateway.Tell(new ReleaseWorker((WorkerId)"rival", TestActor, Completed: false, WorkerGone: true), TestActor);
        gateway.Tell(new ListWorkers(), TestActor);

        registry.ExpectMsg<ListWorkers>();
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}

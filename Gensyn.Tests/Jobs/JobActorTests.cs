using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The JobActor with a probe as its shard region (its parent) and probes for the registry, catalog and verifiers: an id it never
/// journalled is unknown to every command, a spec that does not parse is refused without journalling anything, and a started job
/// prepares its first round and has a ShardActor per shard ask the registry for a worker.
/// </summary>
public sealed class JobActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        """);

    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("job-actor-spec");
    private TestProbe? _catalog;
    private TestProbe Catalog => _catalog ??= CreateTestProbe();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }


    private (IActorRef Job, TestProbe Region, TestProbe Registry) Spawn(string jobId)
    {
        var store = new BlobStore(_dir.File("blobs"));
        var registry = CreateTestProbe();
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref, registry.Ref,
            Catalog.Ref, CreateTestProbe().Ref);
        var region = CreateTestProbe();
        return (region.ChildActorOf(JobActor.Props(services), jobId), region, registry);
    }

    [Fact]
    public void A_job_never_started_is_unknown_and_asks_to_be_passivated()
    {
        var (job, region, registry) = Spawn("never-started");

        job.Tell(new GetJobStatus("never-started"), TestActor);
        Assert.Equal("never-started", ExpectMsg<UnknownJob>().JobId);
        Assert.IsType<PoisonPill>(region.ExpectMsg<Passivate>().StopMessage);

        job.Tell(new CancelJob("never-started", "by its requester"), TestActor);
        Assert.Equal("never-started", ExpectMsg<UnknownJob>().JobId);
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // no shard was asked for
    }

    [Fact]
    public void A_spec_that_does_not_parse_is_refused_and_nothing_is_journalled()
    {
        var (job, region, registry) = Spawn("bad-spec");

        job.Tell(new Gensyn.Contracts.Messages.StartJob("bad-spec", "name: [unclosed\n", "/data"), TestActor);
        Assert.NotEmpty(ExpectMsg<JobRejected>().Errors);
        region.ExpectMsg<Passivate>();
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        job.Tell(new GetJobStatus("bad-spec"), TestActor);
        ExpectMsg<UnknownJob>();
    }

    [Fact]
    public void A_started_job_is_catalogued_and_its_first_round_asks_the_registry_for_a_worker_per_shard()
    {
        var (job, _, registry) = Spawn("synthetic");

        job.Tell(new Gensyn.Contracts.Messages.StartJob("synthetic", TestSpecs.SyntheticYaml(shards: 2), _dir.Path), TestActor);
        Assert.Equal("synthetic", ExpectMsg<JobAccepted>().JobId);
        Assert.Equal("synthetic", Catalog.ExpectMsg<CatalogJob>().JobId);

        // The round's start state is computed on the training thread first; then one ShardActor per shard asks for a worker.
        var patience = TimeSpan.FromSeconds(60);
        var requests = new[] { registry.ExpectMsg<RequestWorker>(patience), registry.ExpectMsg<RequestWorker>(patience) };
        Assert.All(requests, r => Assert.Equal("synthetic", r.JobId));
        Assert.Equal(requests[0].Round, requests[1].Round);
        Assert.Equal([0, 1], requests.Select(r => r.Shard).Order());
    }
}

using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using System.Text.Json;
using Akka.Persistence;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The JobActor with a probe as its shard region (its parent) and probes for the registry, catalog, verifiers,
/// settlement
/// and its shard actors: an id it never journalled is unknown to every command, a spec that does not parse is refused
/// without journalling anything, a started job prepares its first round and has a ShardActor per shard ask the registry
/// for a worker; what a shard actor reports is decided and answered; a cancelled job on a settling network orders its
/// escrow cancelled; and a job recovered from a snapshot (of either format) shows every event in its views.
/// </summary>
public sealed class JobActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        # How long an expectation waits by default: a guard against a loaded machine, not a timing assertion.
        akka.test.single-expect-default = 20s
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


    private (IActorRef Job, TestProbe Region, TestProbe Registry) Spawn(string jobId, IActorRef? settlement = null,
        BlobStore? store = null, IActorRef? verifiers = null, IActorRef? preparation = null)
    {
        store ??= new BlobStore(_dir.File("blobs"));
        var registry = CreateTestProbe();
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref,
            Catalog.Ref, verifiers ?? CreateTestProbe().Ref, settlement, VerifierPreparation: preparation);
        var region = CreateTestProbe();
        return (region.ChildActorOf(JobActor.Props(services), jobId), region, registry);
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Starts a two-shard job and waits until its first round runs (its shard actors ask the
    /// registry).</summary>
    private (IActorRef Job, TestProbe Registry) Running(string jobId)
    {
        var (job, _, registry) = Spawn(jobId);
        job.Tell(new StartJob((JobId)jobId, TestSpecs.SyntheticYaml(shards: 2), _dir.Path), TestActor);
        ExpectMsg<JobAccepted>();
        registry.ExpectMsg<RequestWorker>(Patience);
        registry.ExpectMsg<RequestWorker>(Patience);
        return (job, registry);
    }

    private static ShardResult Result(string jobId, int shard, int epoch, string worker) =>
        new((JobId)jobId, 0, shard, epoch, (WorkerId)worker, Sha256Digest.Of([1, (byte)shard]), Sha256Digest.Of([2, (byte)shard]),
            Enumerable.Repeat(0.5f, 8).ToList(), "0x");

    private static ShardActor.Judged Judged(ShardResult result, VerdictOutcome outcome, string address) =>
        new(result, new ShardVerdict(result.JobId, 0, result.Shard, result.Epoch, result.WorkerId, outcome,
            $"{outcome}"),
            address, [1, 2], "00ff");

    private JobView Status(IActorRef job, string jobId)
    {
        job.Tell(new GetJobStatus((JobId)jobId), TestActor);
        return ExpectMsg<JobView>();
    }

    [Fact]
    public void A_job_never_started_is_unknown_and_asks_to_be_passivated()
    {
        var (job, region, registry) = Spawn("never-started");

        job.Tell(new GetJobStatus((JobId)"never-started"), TestActor);
        Assert.Equal("never-started", ExpectMsg<UnknownJob>().JobId);
        Assert.IsType<PoisonPill>(region.ExpectMsg<Passivate>().StopMessage);

        job.Tell(new CancelJob((JobId)"never-started", "by its requester"), TestActor);
        Assert.Equal("never-started", ExpectMsg<UnknownJob>().JobId);
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // no shard was asked for
    }

    [Fact]
    public void A_spec_that_does_not_parse_is_refused_and_nothing_is_journalled()
    {
        var (job, region, registry) = Spawn("bad-spec");

        job.Tell(new Gensyn.Contracts.Messages.StartJob((JobId)"bad-spec", "name: [unclosed\n", "/data"), TestActor);
        Assert.NotEmpty(ExpectMsg<JobRejected>().Errors);
        region.ExpectMsg<Passivate>();
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        job.Tell(new GetJobStatus((JobId)"bad-spec"), TestActor);
        ExpectMsg<UnknownJob>();
    }

    [Fact]
    public void A_started_job_is_catalogued_and_its_first_round_asks_the_registry_for_a_worker_per_shard()
    {
        var (job, _, registry) = Spawn("synthetic");

        job.Tell(new Gensyn.Contracts.Messages.StartJob((JobId)"synthetic", TestSpecs.SyntheticYaml(shards: 2), _dir.Path),
            TestActor);
        Assert.Equal("synthetic", ExpectMsg<JobAccepted>().JobId);
        Assert.Equal("synthetic", Catalog.ExpectMsg<CatalogJob>().JobId);

        // The round's start state is computed on the training thread first; then one ShardActor per shard asks for
        // a worker.
        var patience = TimeSpan.FromSeconds(60);
        var requests = new[] { registry.ExpectMsg<RequestWorker>(patience),
            registry.ExpectMsg<RequestWorker>(patience) };
        Assert.All(requests, r => Assert.Equal("synthetic", r.JobId));
        Assert.Equal(requests[0].Round, requests[1].Round);
        Assert.Equal([0, 1], requests.Select(r => r.Shard).Order());
    }

    [Fact]
    public void A_starting_job_asks_every_verifier_to_prepare_once_before_its_first_round_runs()
    {
        var preparation = CreateTestProbe();
        var store = new BlobStore(_dir.File("blobs"));
        var (job, _, registry) = Spawn("prepared", store: store, preparation: preparation.Ref);

        job.Tell(new Gensyn.Contracts.Messages.StartJob((JobId)"prepared", TestSpecs.SyntheticYaml(shards: 2), _dir.Path),
            TestActor);

        var broadcast = preparation.ExpectMsg<Akka.Routing.Broadcast>(TimeSpan.FromSeconds(60));
        var prepare = Assert.IsType<PrepareVerification>(broadcast.Message);
        Assert.Equal("prepared", prepare.JobId);
        // The verifiers fetch the spec it names from the job's store.
        AwaitAssert(() => Assert.True(store.Contains(prepare.Spec.Hash)), TimeSpan.FromSeconds(10));
        registry.ExpectMsg<RequestWorker>(TimeSpan.FromSeconds(60));
        preparation.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_worker_a_shard_asks_for_is_confirmed_and_its_accepted_result_completes_the_shard()
    {
        var (job, _) = Running("accepting");
        var shard = CreateTestProbe();

        job.Tell(new ShardActor.AssignRequested(0, (WorkerId)"w1", CreateTestProbe().Ref, "0xw1"), shard.Ref);
        Assert.Equal(new ShardActor.AssignConfirmed(1, null), shard.ExpectMsg<ShardActor.AssignConfirmed>());
        job.Tell(new ShardActor.Progress(0, 3, 0.75f), shard.Ref);
        Assert.Equal(("running", "w1", 3), Status(job, "accepting").Shards[0] is var running
            ? (running.State, running.WorkerId, running.Step) : default);

        job.Tell(Judged(Result("accepting", 0, 1, "w1"), VerdictOutcome.Accepted, "0xw1"), shard.Ref);
        shard.ExpectMsg<ShardActor.Accepted>();

        var view = Status(job, "accepting");
        Assert.Equal(("done", "w1", 8), (view.Shards[0].State, view.Shards[0].WorkerId, view.Shards[0].Step));
        Assert.Equal(VerdictOutcome.Accepted, Assert.Single(view.Verdicts!).Outcome);
    }

    [Fact]
    public void A_fraud_excludes_its_worker_from_every_shard_of_the_job()
    {
        var (job, _) = Running("fraud");
        var cheated = CreateTestProbe();
        var other = CreateTestProbe();

        job.Tell(new ShardActor.AssignRequested(0, (WorkerId)"cheat", CreateTestProbe().Ref, "0xCheat"), cheated.Ref);
        cheated.ExpectMsg<ShardActor.AssignConfirmed>();
        job.Tell(Judged(Result("fraud", 0, 1, "cheat"), VerdictOutcome.Fraud, "0xCheat"), cheated.Ref);

        var rejected = cheated.ExpectMsg<ShardActor.Rejected>();
        Assert.Equal(["cheat"], rejected.Excluded.Workers.Select(id => id.Value));
        Assert.Equal(["0xcheat"], rejected.Excluded.Addresses);
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"cheat-2", CreateTestProbe().Ref, "0xCHEAT"), other.Ref);
        Assert.Equal(["0xcheat"], other.ExpectMsg<ShardActor.Excluded>().Workers.Addresses);
        Assert.Equal("waiting", Status(job, "fraud").Shards[0].State);
    }

    [Fact]
    public void A_result_from_an_epoch_that_was_never_assigned_is_ignored()
    {
        var (job, _) = Running("fenced");
        var shard = CreateTestProbe();

        job.Tell(Judged(Result("fenced", 0, 4, "w9"), VerdictOutcome.Accepted, "0xw9"), shard.Ref);

        shard.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Empty(Status(job, "fenced").Verdicts!);
    }

    [Fact]
    public void A_cancelled_job_on_a_settling_network_orders_its_escrow_cancelled_and_journals_the_outcome()
    {
        var settlement = CreateTestProbe();
        var (job, _, _) = Spawn("settling", settlement.Ref);
        job.Tell(new StartJob((JobId)"settling", TestSpecs.SyntheticYaml(shards: 2), _dir.Path, "0xpayer", 1_000_000),
            TestActor);
        ExpectMsg<JobAccepted>();

        job.Tell(new CancelJob((JobId)"settling", "changed my mind"), TestActor);
        ExpectMsg<JobCancelAccepted>();
        var order = settlement.FishForMessage<SettlementOrder>(o => o.Kind == SettlementKind.Cancel, Patience);
        job.Tell(new SettlementSettled((JobId)"settling", order.SettlementId, order.Kind, SettlementStatus.Confirmed, "0xtx",
            21_000,
            1_000_000, "", DateTimeOffset.UtcNow), settlement.Ref);

        var money = Status(job, "settling").Money!;
        Assert.Equal("escrow cancel", Assert.Single(money.Settlements).Label);
        Assert.Equal(1_000_000, money.RefundedMicros);
        Assert.Empty(money.Pending);
    }

    private void Seed(string jobId, List<IJobEvent> events, int snapshotAfter, Func<List<IJobEvent>, object> snapshot)
    {
        var seeder = ActorOf(Props.Create(() => new JournalSeeder("job-" + jobId)));
        Watch(seeder);
        seeder.Tell(new JournalSeeder.Write(events.Take(snapshotAfter).ToList()), TestActor);
        ExpectMsg("written");
        seeder.Tell(new JournalSeeder.Snapshot(snapshot(events.Take(snapshotAfter).ToList())), TestActor);
        ExpectMsg("saved");
        seeder.Tell(new JournalSeeder.Write(events.Skip(snapshotAfter).ToList()), TestActor);
        ExpectMsg("written");
        seeder.Tell(PoisonPill.Instance);
        ExpectTerminated(seeder);
    }

    [Fact]
    public void A_running_job_recovered_from_a_journal_written_before_specs_were_blobs_stores_and_pins_its_spec()
    {
        // Journals of that time hold the YAML in JobSubmitted and stored no spec blob: recovery stores it, so the
        // SpecRef in the job's assignments names a blob that its workers and verifiers can fetch.
        const string jobId = "job-5bec0000blob0001";
        var yaml = TestSpecs.SyntheticYaml(shards: 2);
        var seeder = ActorOf(Props.Create(() => new JournalSeeder("job-" + jobId)));
        seeder.Tell(new JournalSeeder.Write([new JobSubmitted((JobId)jobId, yaml, _dir.Path, DateTimeOffset.UnixEpoch)]),
            TestActor);
        ExpectMsg("written");
        Watch(seeder);
        seeder.Tell(PoisonPill.Instance);
        ExpectTerminated(seeder);
        var store = new BlobStore(_dir.File("blobs"));
        var spec = Gensyn.Contracts.Jobs.SpecRef.Of(yaml);
        Assert.False(store.Contains(spec.Hash));

        var (job, _, registry) = Spawn(jobId, store: store);
        Status(job, jobId);   // answered once recovery is complete

        Assert.Equal(yaml, System.Text.Encoding.UTF8.GetString(store.Get(spec.Hash)));
        Assert.True(store.IsPinned(spec.Hash));
        // The job goes on, and its shards name the same spec.
        registry.ExpectMsg<RequestWorker>(Patience);
    }

    public static TheoryData<bool> SnapshotFormats => [true, false];

    [Theory]
    [MemberData(nameof(SnapshotFormats))]
    public void A_job_recovered_from_a_snapshot_shows_the_status_and_log_of_all_its_events(bool domainOnlySnapshot)
    {
        const string jobId = JobHistories.JobId;
        var events = JobHistories.Settled();
        Seed(jobId, events, 20, first => domainOnlySnapshot
            ? first.Aggregate(new JobState(), (s, e) => s.Apply(e)).ToSnapshot()
            : LegacyJobSnapshot.Of(JobProjection.Of(first)));
        var (job, _, _) = Spawn(jobId);
        var expected = JobProjection.Of(events);

        job.Tell(new GetJobLog((JobId)jobId, 0), TestActor);
        var log = ExpectMsg<JobLog>();
        var view = Status(job, jobId);

        Assert.Equal(expected.Log, log.Entries);
        Assert.Equal(JobPhase.Completed, log.State);
        Assert.Equal(JsonSerializer.Serialize(expected.View(new Dictionary<int, (int, float)>())),
            JsonSerializer.Serialize(view));
    }

    [Fact]
    public void A_job_recovered_from_a_snapshot_purges_a_convicted_keys_results_from_before_it_and_rolls_back()
    {
        const string jobId = Purge.PurgeJournal.JobId;
        List<IJobEvent> events =
        [
            Purge.PurgeJournal.Submitted(), .. Purge.PurgeJournal.RoundWithCheat(0),
            .. Purge.PurgeJournal.RoundWithCheat(1), Purge.PurgeJournal.Started(2),
            .. Purge.PurgeJournal.Accepted(2, 0, 1, "honest-1", Purge.PurgeJournal.Honest),
        ];
        Seed(jobId, events, 5, first => first.Aggregate(new JobState(), (s, e) => s.Apply(e)).ToSnapshot());
        var verifiers = CreateTestProbe();
        // The rounds' start states are held (a result whose start state is gone is revoked without a replay).
        var store = new BlobStore(_dir.File("blobs"));
        foreach (var start in new[] { "start-0-1", "start-1-1" }) store.Put(System.Text.Encoding.UTF8.GetBytes(start));
        var (job, _, registry) = Spawn(jobId, store: store, verifiers: verifiers.Ref);

        job.Tell(new PurgeKey((JobId)jobId, new KeyConvicted(Purge.PurgeJournal.Cheat, ConvictionGround.Fraud, "elsewhere",
            "0x" + new string('e', 64), DateTimeOffset.UtcNow)));

        // Both of the cheater's accepted results are replayed, the first one from before the snapshot.
        var replays = new[] { verifiers.ExpectMsg<ReplayShard>(Patience), verifiers.ExpectMsg<ReplayShard>(Patience) };
        Assert.Equal([(0, 1), (1, 1)], replays.Select(r => (r.Round, r.Shard)).Order());
        Assert.Equal(Purge.PurgeJournal.D("start-0-1"), replays.Single(r => r.Round == 0).StartState);
        job.Tell(new ShardReplayed((JobId)jobId, 0, 1, Sha256Digest.Of([7]), null, 1), verifiers.Ref);

        // Round 0's model had taken it in: the job returns to the start of round 0 and runs it again.
        registry.FishForMessage<RequestWorker>(r => r.Round == 0, Patience);
        job.Tell(new GetJobStatus((JobId)jobId), TestActor);
        var view = FishForMessage<JobView>(_ => true, Patience);
        Assert.Equal(["revoked", "rolled-back"], view.Purges!.Select(p => p.Action));
        Assert.Equal([0, 1, 2], view.Purges![1].DiscardedRounds);
        Assert.Equal(0, view.Round);
        Assert.Empty(view.RoundHistory);
    }
}

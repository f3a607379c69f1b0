using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// A refuser computes, commits, and then leaves the challenges unanswered while its session stays alive, so every
/// result of it must be run again by someone else. Before, it was convicted and purged but paid nothing: it had no
/// accepted result to revoke, its stake stayed whole, the requester waited for the reruns, and the key went on being
/// granted shards in other jobs; a restart of the coordinators forgot a run of refusals short of a conviction. Now its
/// stake pays the recomputation of each challenge it left unanswered, in every job, and the conviction's slash once;
/// a convicted key is turned away by the registry in every job, across restarts; and the run survives a restart.
/// </summary>
public sealed class RefusalAttackTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        """);

    private const string Payer = "0x9999999999999999999999999999999999999999";
    private const long Payout = 16_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly JobPrice Lock = new(0.5, 640, "the clearing price of 3 idle worker(s)", 3, 0.25, Payout);

    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("refusal-attack");
    private readonly WorkerKey _refuser = WorkerKey.Generate();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    /// <summary>A conviction board (every one journals as "convictions", whatever its actor's name).</summary>
    private (IActorRef Board, TestProbe Catalog, TestProbe Jobs) Board(string name, IActorRef? registry = null)
    {
        var (catalog, jobs) = (CreateTestProbe(), CreateTestProbe());
        var board = Sys.ActorOf(ConvictionBoard.Props(catalog.Ref, () => jobs.Ref, new PurgeSettings(3), registry),
            name);
        return (board, catalog, jobs);
    }

    private void Stop(params IActorRef[] actors)
    {
        foreach (var actor in actors)
        {
            Watch(actor);
            Sys.Stop(actor);
            ExpectTerminated(actor);
        }
    }

    private ShardVerified Unanswered(string job, int shard, string worker) =>
        new(0, shard, 1, (WorkerId)worker, _refuser.Address, VerdictOutcome.Unavailable,
            "it did not open the challenged steps within 60 s", Sha256Digest.Of([3, (byte)shard]), "0x", [1, 5], "00",
            null, null, null, null, null, 1, 0, DateTimeOffset.UtcNow);

    // ---- Its stake pays for the reruns

    /// <summary>A paying job of two shards whose shard actors ask <c>registry</c>, reporting its verdicts to
    /// <c>board</c> and its settlement orders to <c>settlement</c>.</summary>
    private IActorRef PayingJob(string jobId, IActorRef board, IActorRef settlement)
    {
        var store = new BlobStore(_dir.File("blobs-" + jobId));
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref, settlement, Convictions: board);
        var job = CreateTestProbe().ChildActorOf(JobActor.Props(services), jobId);
        job.Tell(new StartJob((JobId)jobId, TestSpecs.SyntheticYaml(shards: 2), _dir.Path, Payer, 1_000_000, Lock),
            TestActor);
        ExpectMsg<JobAccepted>(Patience);
        return job;
    }

    /// <summary>The refuser (worker <paramref name="worker"/>) takes shard <paramref name="shard"/>; the probe stands
    /// in for the shard actor.</summary>
    private TestProbe Takes(IActorRef job, int shard, string worker)
    {
        var shardActor = CreateTestProbe();
        AwaitAssert(() =>
        {
            job.Tell(new ShardActor.AssignRequested(shard, (WorkerId)worker, CreateTestProbe().Ref, _refuser.Address),
                shardActor.Ref);
            shardActor.ExpectMsg<ShardActor.AssignConfirmed>(TimeSpan.FromSeconds(1));
        }, Patience);
        return shardActor;
    }

    /// <summary>The refuser commits its result of shard <paramref name="shard"/> and leaves its challenge
    /// unanswered: the verdict sends the shard to run again elsewhere.</summary>
    private void Refuses(IActorRef job, TestProbe shardActor, string jobId, int shard, string worker)
    {
        var result = new ShardResult((JobId)jobId, 0, shard, 1, (WorkerId)worker, Sha256Digest.Of([1, (byte)shard]),
            Sha256Digest.Of([3, (byte)shard]), Enumerable.Repeat(0.5f, 8).ToList(), "0x");
        var verdict = new ShardVerdict((JobId)jobId, 0, shard, 1, (WorkerId)worker, VerdictOutcome.Unavailable,
            "it did not open the challenged steps within 60 s");
        job.Tell(new ShardActor.Judged(result, verdict, _refuser.Address, [1, 5], "00ff"), shardActor.Ref);
        shardActor.ExpectMsg<ShardActor.Rejected>(Patience);
    }

    [Fact]
    public void A_refusers_stake_pays_the_reruns_it_caused_in_every_job_and_the_conviction_slashes_it_once()
    {
        var (board, catalog, jobs) = Board("convictions");
        var settlement = CreateTestProbe();
        var first = PayingJob("refused-first", board, settlement.Ref);
        var second = PayingJob("refused-second", board, settlement.Ref);

        // Two challenges left unanswered: no conviction yet, and nothing is charged to the refuser's stake (before,
        // this was all there ever was: the requester's reruns were never paid back, and its stake stayed whole).
        // In the second job it holds both shards, under two of its worker ids.
        var (a, b, c) = (Takes(first, 1, "refuser-1"), Takes(second, 0, "refuser-1"), Takes(second, 1, "refuser-2"));
        Refuses(first, a, "refused-first", 1, "refuser-1");
        Refuses(second, b, "refused-second", 0, "refuser-1");
        settlement.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // A third while its session is alive: refusal. Every job hears of it.
        Refuses(second, c, "refused-second", 1, "refuser-2");
        catalog.ExpectMsg<ListJobIds>(Patience);
        catalog.Reply(new JobIdList([(JobId)"refused-first", (JobId)"refused-second"]));
        var told = new[] { jobs.ExpectMsg<PurgeKey>(Patience), jobs.ExpectMsg<PurgeKey>(Patience) };
        var conviction = told[0].Conviction;
        Assert.Equal((ConvictionGround.Refusal, "refused-second"), (conviction.Ground, conviction.Job));
        first.Tell(told.Single(p => p.JobId == "refused-first"));
        second.Tell(told.Single(p => p.JobId == "refused-second"));

        // Each job charges the refuser's stake the reruns it caused there, at the job's locked payout ...
        var orders = new Dictionary<string, SettlementOrder>();
        settlement.FishForMessage<SettlementOrder>(o =>
        {
            orders[o.SettlementId] = o;
            return orders.Values.Count(x => x.IsRestitution) == 2 && orders.Values.Any(x => !x.IsRestitution);
        }, Patience);
        var charged = orders.Values.Where(o => o.IsRestitution).ToDictionary(o => (string)o.JobId);
        Assert.Equal(Payout, charged["refused-first"].SlashMicros);
        Assert.Equal(2 * Payout, charged["refused-second"].SlashMicros);
        Assert.All(charged.Values, o => Assert.Equal((_refuser.Address, Payer, 10_000),
            (o.Provider, o.Requester, o.RequesterShareBps)));
        // ... and the job whose verdict convicted it takes the conviction's slash, once, citing its evidence.
        var slash = Assert.Single(orders.Values, o => !o.IsRestitution);
        Assert.Equal(
            ("refused-second", SettlementKind.Slash, _refuser.Address, conviction.EvidenceHash.ToLowerInvariant()),
            ((string)slash.JobId, slash.Kind, slash.Provider, slash.EvidenceHash));

        // The conviction told again (the board after a restart) charges nothing more.
        first.Tell(told[0] with { JobId = (JobId)"refused-first" });
        second.Tell(told[0] with { JobId = (JobId)"refused-second" });
        foreach (var (job, id) in new[] { (first, "refused-first"), (second, "refused-second") })
        {
            job.Tell(new GetJobLog((JobId)id, 0), TestActor);
            Assert.Single(ExpectMsg<JobLog>(Patience).Entries, e => e.Text.StartsWith("REFUSAL CHARGED"));
        }
    }

    // ---- The run of refusals survives a restart

    [Fact]
    public void A_run_of_unanswered_challenges_short_of_a_conviction_survives_a_restart_of_the_board()
    {
        var (board, catalog, _) = Board("board-before");
        board.Tell(new ReportVerdict((JobId)"job-a", Unanswered("job-a", 0, "refuser-1"), true));
        board.Tell(new ReportVerdict((JobId)"job-b", Unanswered("job-b", 1, "refuser-1"), true));
        catalog.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Stop(board);

        // Before, the run started from none again here, and a refuser could refuse forever across restarts.
        var (again, catalog2, jobs2) = Board("board-after");
        again.Tell(new ReportVerdict((JobId)"job-c", Unanswered("job-c", 0, "refuser-2"), true));

        catalog2.ExpectMsg<ListJobIds>(Patience);
        catalog2.Reply(new JobIdList([(JobId)"job-c"]));
        var told = jobs2.ExpectMsg<PurgeKey>(Patience);
        Assert.Equal((_refuser.Address, ConvictionGround.Refusal, "job-c"),
            (told.Conviction.Address, told.Conviction.Ground, told.Conviction.Job));
    }

    [Fact]
    public void An_accepted_result_journalled_before_a_restart_still_ends_the_run()
    {
        var (board, _, _) = Board("board-ended-before");
        board.Tell(new ReportVerdict((JobId)"job-a", Unanswered("job-a", 0, "refuser-1"), true));
        board.Tell(new ReportVerdict((JobId)"job-a", Unanswered("job-a", 1, "refuser-1"), true));
        board.Tell(new ReportVerdict((JobId)"job-b", Unanswered("job-b", 0, "refuser-1") with
        {
            Outcome = VerdictOutcome.Accepted,
        }, true));
        Stop(board);

        var (again, catalog, _) = Board("board-ended-after");
        again.Tell(new ReportVerdict((JobId)"job-c", Unanswered("job-c", 0, "refuser-1"), true));
        again.Tell(new ReportVerdict((JobId)"job-c", Unanswered("job-c", 1, "refuser-1"), true));

        catalog.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    // ---- A convicted key takes no more work

    private static RegisterWorker Signed(WorkerKey key, IActorRef worker, string id)
    {
        var profile = new RegisterWorker((WorkerId)id, worker, "cpu", 8, 1, WorkerOptions.NumericClassFor(1), 0.2,
            key.Address, 640, 100, IssuedAtUnixMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return profile with { Signature = ClaimSigner.Sign(key, CapabilityClaim.From(profile)) };
    }

    /// <summary>The refuser's third unanswered challenge in a row convicts it (the catalog holds no job).</summary>
    private void Convict(IActorRef board, TestProbe catalog)
    {
        for (var i = 0; i < 3; i++)
            board.Tell(new ReportVerdict((JobId)$"job-{i}", Unanswered($"job-{i}", 0, "refuser-1"), true));
        catalog.ExpectMsg<ListJobIds>(Patience);
        catalog.Reply(new JobIdList([]));
    }

    [Fact]
    public void A_convicted_keys_worker_is_dismissed_from_its_shard_and_granted_no_shard_of_any_job()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props(convictions: ActorRefs.Nobody), "registry-live");
        var (board, catalog, _) = Board("convictions-live", registry);
        // The registry heard from the board: it holds no registration any more.
        board.Tell(new GetConvictedKeys(), registry);
        var worker = CreateTestProbe();
        registry.Tell(Signed(_refuser, worker.Ref, "refuser-1"));
        worker.ExpectMsg<WorkerRegistered>(Patience);
        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)"job-0123abcd", 0, 0, shard.Ref));
        shard.ExpectMsg<WorkerGranted>(Patience);

        Convict(board, catalog);

        // Its shard loses it and runs again elsewhere; it is told why, in one line.
        Assert.Equal("refuser-1", shard.ExpectMsg<WorkerLost>(Patience).WorkerId);
        var dismissed = worker.ExpectMsg<WorkerRefused>(Patience);
        Assert.Equal(RefusalKind.Convicted, dismissed.Kind);
        var why = dismissed.Reason;
        Assert.Contains($"key {_refuser.Address} is convicted (refusal", why);
        Assert.Contains("takes no more work", why);
        Assert.DoesNotContain('\n', why);
        // It registers again, under another id too: refused; a shard of another job waits for someone else.
        registry.Tell(Signed(_refuser, worker.Ref, "refuser-2"));
        Assert.Equal((why, RefusalKind.Convicted),
            worker.ExpectMsg<WorkerRefused>(Patience) is var again ? (again.Reason, again.Kind) : default);
        var other = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)"job-4567cdef", 0, 0, other.Ref));
        Assert.Equal("no worker is registered", other.ExpectMsg<WorkerWaiting>(Patience).Reason);
        var honest = CreateTestProbe();
        registry.Tell(Signed(WorkerKey.Generate(), honest.Ref, "honest-1"));
        honest.ExpectMsg<WorkerRegistered>(Patience);
        Assert.Equal("honest-1", other.ExpectMsg<WorkerGranted>(Patience).WorkerId);
    }

    [Fact]
    public void A_convicted_key_is_refused_work_after_the_coordinators_restart()
    {
        var (board, catalog, _) = Board("convictions-restart-before");
        Convict(board, catalog);
        board.Tell(new GetConvictedKeys(), TestActor);
        ExpectMsg<ConvictedKeys>(k => k.Complete && k.Convictions.Count == 1, Patience);
        Stop(board);

        // Both come back: the registry asks the board (through a proxy in the cluster) before it admits anyone.
        var proxy = CreateTestProbe();
        var registry = Sys.ActorOf(WorkerRegistry.Props(convictions: proxy.Ref), "registry-restarted");
        var worker = CreateTestProbe();
        registry.Tell(Signed(_refuser, worker.Ref, "refuser-1"));
        // Held, not admitted, until the board answers.
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var (again, _, _) = Board("convictions-restart-after", registry);
        again.Tell(proxy.ExpectMsg<GetConvictedKeys>(Patience), registry);

        var why = worker.FishForMessage<WorkerRefused>(_ => true, Patience).Reason;
        Assert.Contains($"key {_refuser.Address} is convicted", why);
        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)"job-0123abcd", 0, 0, shard.Ref));
        Assert.Equal("no worker is registered", shard.ExpectMsg<WorkerWaiting>(Patience).Reason);
    }
}

using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Workers;
using Gensyn.Tests.Verification;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;
using Xunit.Abstractions;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// A cheater whose spot-check missed its faked steps does not keep that result: once its key is convicted anywhere
/// (a fraud verdict, an invalid answer, or refusal while its session is alive), the conviction board tells every job,
/// also after the board restarts, and each job replays the key's accepted results in full and revokes the ones whose
/// root the replay disproves. A worker whose process died is never convicted for its silence; an honest result of a
/// convicted key stands.
/// </summary>
public sealed class PurgeAttackTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        # How long an expectation waits by default: a guard against a loaded machine, not a timing assertion.
        akka.test.single-expect-default = 20s
        """);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("purge-attack");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    /// <summary>A board (every one of them journals as "convictions", whatever its actor's name).</summary>
    private (IActorRef Board, TestProbe Catalog, TestProbe Jobs) Board(string name = "convictions")
    {
        var (catalog, jobs) = (CreateTestProbe(), CreateTestProbe());
        var board = Sys.ActorOf(ConvictionBoard.Props(catalog.Ref, () => jobs.Ref, new PurgeSettings(3)), name);
        return (board, catalog, jobs);
    }

    private static void AnswerCatalog(TestProbe catalog, params string[] jobs)
    {
        catalog.ExpectMsg<ListJobIds>(Patience);
        catalog.Reply(new JobIdList(jobs.Select(j => (JobId)j).ToList()));
    }

    [Fact]
    public void A_fraud_verdict_in_one_job_sends_every_catalogued_job_to_purge_the_key()
    {
        var (board, catalog, jobs) = Board();

        board.Tell(new ReportVerdict((JobId)"job-b", Verdict(3, 0, 1, "cheat-1", Cheat, VerdictOutcome.Fraud), true));
        AnswerCatalog(catalog, "job-a", "job-b", "job-c");

        var told = new[] { jobs.ExpectMsg<PurgeKey>(), jobs.ExpectMsg<PurgeKey>(), jobs.ExpectMsg<PurgeKey>() };
        Assert.Equal(["job-a", "job-b", "job-c"], told.Select(p => (string)p.JobId));
        Assert.All(told, p => Assert.Equal(Cheat, p.Conviction.Address));
        Assert.All(told, p => Assert.Equal(ConvictionGround.Fraud, p.Conviction.Ground));
        // The evidence is the verdict the slash cites.
        Assert.Equal(ConvictionRule.HashOf(Gensyn.Actors.Settlement.JobLedger.Evidence("job-b",
            Verdict(3, 0, 1, "cheat-1", Cheat, VerdictOutcome.Fraud))), told[0].Conviction.EvidenceHash);
    }

    [Fact]
    public void Unanswered_challenges_convict_only_when_a_live_session_repeats_them()
    {
        var (board, catalog, jobs) = Board();
        var unanswered = (int i, string address) =>
            Verdict(i, 0, 1, "w-" + i, address, VerdictOutcome.Unavailable, "it did not open the challenged steps");

        // A worker whose process died leaves its challenges unanswered by fault: never convicted.
        for (var i = 0; i < 5; i++) board.Tell(new ReportVerdict((JobId)"job-a", unanswered(i, Honest), false));
        // A live session's two refusals, broken by an accepted result, then two more: no run of three.
        board.Tell(new ReportVerdict((JobId)"job-a", unanswered(0, Other), true));
        board.Tell(new ReportVerdict((JobId)"job-a", unanswered(1, Other), true));
        board.Tell(new ReportVerdict((JobId)"job-a", Verdict(2, 0, 1, "w-2", Other, VerdictOutcome.Accepted), true));
        board.Tell(new ReportVerdict((JobId)"job-a", unanswered(3, Other), true));
        board.Tell(new ReportVerdict((JobId)"job-a", unanswered(4, Other), true));
        catalog.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The third in a row while alive is refusal.
        board.Tell(new ReportVerdict((JobId)"job-a", unanswered(5, Other), true));
        AnswerCatalog(catalog, "job-a");
        var told = jobs.ExpectMsg<PurgeKey>();
        Assert.Equal((Other, ConvictionGround.Refusal), (told.Conviction.Address, told.Conviction.Ground));
        jobs.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_conviction_survives_a_restart_of_the_board_and_reaches_every_job_again()
    {
        var (board, catalog, jobs) = Board("board-before");
        board.Tell(new ReportVerdict((JobId)"job-a", Verdict(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Invalid), true));
        AnswerCatalog(catalog, "job-a");
        jobs.ExpectMsg<PurgeKey>();
        Watch(board);
        Sys.Stop(board);
        ExpectTerminated(board);

        var (again, catalog2, jobs2) = Board("board-after");

        // Told again after its recovery (a job that already purged the key ignores it) ...
        AnswerCatalog(catalog2, "job-a", "job-b");
        Assert.Equal(["job-a", "job-b"], new[] { jobs2.ExpectMsg<PurgeKey>(), jobs2.ExpectMsg<PurgeKey>() }
            .Select(p => (string)p.JobId));
        // ... and answered to a job that recovers and asks.
        again.Tell(new GetConvictions((JobId)"job-c"), TestActor);
        var answer = ExpectMsg<PurgeKey>();
        Assert.Equal(("job-c", Cheat, ConvictionGround.InvalidAnswer),
            (answer.JobId, answer.Conviction.Address, answer.Conviction.Ground));
        // A conviction is final: more verdicts of the key convict nothing new.
        again.Tell(new ReportVerdict((JobId)"job-b", Verdict(1, 0, 1, "cheat-1", Cheat, VerdictOutcome.Fraud), true));
        catalog2.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private (IActorRef Job, TestProbe Registry, TestProbe Verifiers, TestProbe Board) RunningJob(string jobId)
    {
        var store = new BlobStore(_dir.File("blobs"));
        var (registry, verifiers, board) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref, CreateTestProbe().Ref, verifiers.Ref, Convictions: board.Ref);
        var job = CreateTestProbe().ChildActorOf(JobActor.Props(services), jobId);
        job.Tell(new StartJob((JobId)jobId, TestSpecs.SyntheticYaml(shards: 2), _dir.Path), TestActor);
        ExpectMsg<JobAccepted>();
        registry.FishForMessage<RequestWorker>(_ => true, Patience);
        registry.FishForMessage<RequestWorker>(_ => true, Patience);
        return (job, registry, verifiers, board);
    }

    private static ShardResult Result(string jobId, int shard, int epoch, string worker) =>
        new((JobId)jobId, 0, shard, epoch, (WorkerId)worker, Sha256Digest.Of([1, (byte)shard]), Sha256Digest.Of([2, (byte)shard]),
            Enumerable.Repeat(0.5f, 8).ToList(), "0x");

    /// <summary>The cheater's result on shard 1 passes its spot-check (the draws missed its faked steps).</summary>
    private ShardResult CheatPasses(IActorRef job, string jobId, TestProbe board)
    {
        var shard = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"cheat-1", CreateTestProbe().Ref, Cheat), shard.Ref);
        shard.ExpectMsg<ShardActor.AssignConfirmed>();
        var result = Result(jobId, 1, 1, "cheat-1");
        job.Tell(new ShardActor.Judged(result, new ShardVerdict((JobId)jobId, 0, 1, 1, (WorkerId)"cheat-1", VerdictOutcome.Accepted,
            "both challenged steps replay"), Cheat, [2, 7], "00ff"), shard.Ref);
        shard.ExpectMsg<ShardActor.Accepted>();
        // The board hears of the verdict: who convicts keeps every key's standing.
        var report = board.ExpectMsg<ReportVerdict>();
        Assert.Equal((jobId, Cheat, VerdictOutcome.Accepted),
            (report.JobId, report.Verdict.WorkerAddress, report.Verdict.Outcome));
        return result;
    }

    private static KeyConvicted Convicted(string address) =>
        new(address, ConvictionGround.Fraud, "fraud in job job-other", "0x" + new string('e', 64), T0);

    private JobView Status(IActorRef job, string jobId)
    {
        job.Tell(new GetJobStatus((JobId)jobId), TestActor);
        return ExpectMsg<JobView>();
    }

    [Fact]
    public void A_convicted_keys_result_that_passed_its_spot_check_is_replayed_in_full_and_revoked_when_it_differs()
    {
        const string id = "purged";
        var (job, registry, verifiers, board) = RunningJob(id);
        CheatPasses(job, id, board);
        Assert.Equal("done", Status(job, id).Shards[1].State);

        job.Tell(new PurgeKey((JobId)id, Convicted(Cheat)));

        var replay = verifiers.ExpectMsg<ReplayShard>(Patience);
        Assert.Equal((id, 0, 1), (replay.JobId, replay.Round, replay.Shard));
        job.Tell(new ShardReplayed((JobId)id, 0, 1, Sha256Digest.Of([9, 9]), null, 1.5), verifiers.Ref);

        // Revoked: the shard runs again, and the cheater's key gets none of the job's shards.
        registry.FishForMessage<RequestWorker>(r => r.Shard == 1 && r.Round == 0, Patience);
        var view = Status(job, id);
        Assert.Equal("waiting", view.Shards[1].State);
        var purge = Assert.Single(view.Purges!);
        Assert.Equal(("revoked", 0, 1, "cheat-1", Cheat), (purge.Action, purge.Round, purge.Shard, purge.WorkerId,
            purge.WorkerAddress));
        Assert.Matches("^0x[0-9a-f]{64}$", purge.EvidenceHash);
        var other = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"cheat-2", CreateTestProbe().Ref, Cheat.ToUpperInvariant()),
            other.Ref);
        Assert.Equal([Cheat.ToLowerInvariant()], other.ExpectMsg<ShardActor.Excluded>().Workers.Addresses);
        // The same conviction told again (the board after a restart) replays nothing more.
        job.Tell(new PurgeKey((JobId)id, Convicted(Cheat)));
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void An_honest_result_of_a_convicted_key_stands_when_its_full_replay_gives_the_committed_root()
    {
        const string id = "kept";
        var (job, _, verifiers, board) = RunningJob(id);
        var result = CheatPasses(job, id, board);

        job.Tell(new PurgeKey((JobId)id, Convicted(Cheat)));
        verifiers.ExpectMsg<ReplayShard>(Patience);
        job.Tell(new ShardReplayed((JobId)id, 0, 1, result.MerkleRoot, null, 1.5), verifiers.Ref);

        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal("done", Status(job, id).Shards[1].State);
    }

    [Fact]
    public void A_key_convicted_elsewhere_with_no_results_in_the_job_replays_nothing()
    {
        const string id = "untouched";
        var (job, _, verifiers, board) = RunningJob(id);
        CheatPasses(job, id, board);

        job.Tell(new PurgeKey((JobId)id, Convicted(Other)));

        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal("done", Status(job, id).Shards[1].State);
    }

    [Fact]
    public void A_lazy_result_whose_spot_check_missed_its_faked_steps_is_disproved_by_a_full_replay()
    {
        using var job = new JudgedJob(innerSteps: 8);
        var start = job.Worker.InitialState;
        var lazy = job.Run(0, 1, start, WorkerBehavior.Lazy, fakeFraction: 0.25);
        var honest = job.Run(0, 1, start);
        Assert.NotEmpty(lazy.FakedSteps);
        // A seeded choice, verified: the first secret whose k = 2 draw misses every faked step.
        var secret = Enumerable.Range(1, 200).Select(i => BitConverter.GetBytes(i))
            .First(b => !ChallengeSampler.Draw(b, JudgedJob.JobId, 0, 1, lazy.Outcome.MerkleRoot, 8, 2)
                .Any(lazy.FakedSteps.Contains));
        var steps = ChallengeSampler.Draw(secret, JudgedJob.JobId, 0, 1, lazy.Outcome.MerkleRoot, 8, 2);
        Assert.Equal(VerdictOutcome.Accepted, job.Judge(job.Answer(lazy, start, steps)).Outcome);

        var store = new BlobStore(_dir.File("verifier-blobs"));
        var startState = store.Put(CheckpointFile.Serialize(start));
        var spec = SpecRef.Of(job.Yaml);
        SpecBlobs.Keep(store, spec, job.Yaml);
        var verifier = Sys.ActorOf(Gensyn.Actors.Verification.VerifierActor.Props(store, Path.GetTempPath()));
        verifier.Tell(new ReplayShard((JobId)JudgedJob.JobId, spec, job.BaseDirectory, 0, 1, startState,
            CreateTestProbe().Ref), TestActor);

        var replayed = ExpectMsg<ShardReplayed>(Patience);
        Assert.Null(replayed.Failure);
        Assert.Equal(honest.Outcome.MerkleRoot, replayed.Root);
        Assert.NotEqual(lazy.Outcome.MerkleRoot, replayed.Root);
    }
}

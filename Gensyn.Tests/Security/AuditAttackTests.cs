using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Jobs;
using Gensyn.Training.Training;
using Xunit.Abstractions;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// A cheater whose results went into a model before anyone caught it does not get away because the job had already
/// ended: once its key is convicted anywhere, every completed job whose model took its results in is marked for an
/// audit (journalled, shown by status and logs), once per key, also when the job recovers from a snapshot taken
/// before the cheater's results. A key that contributed nothing, and a job that ended without a model, are not
/// marked; and no marked job reopens on its own.
/// </summary>
public sealed class AuditAttackTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        # How long an expectation waits by default: a guard against a loaded machine, not a timing assertion.
        akka.test.single-expect-default = 20s
        """);

    private const string Id = Purge.PurgeJournal.JobId;
    private static readonly JobId TheJob = (JobId)Id;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("audit-attack");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    private static readonly JobCompleted Done =
        new(D("model"), 4096, D("final"), 0.9, 0.3, null, T0.AddHours(1));

    /// <summary>Two rounds with the cheater's result aggregated in each, then the job completed.</summary>
    private static List<IJobEvent> CompletedWithCheat() =>
        [Submitted(rounds: 2), .. RoundWithCheat(0), .. RoundWithCheat(1), Done];

    private static KeyConvicted Convicted(string address) =>
        new(address, ConvictionGround.Fraud, "fraud in job job-other", "0x" + new string('e', 64), T0.AddHours(2));

    /// <summary>The job's journal written before it starts, with a snapshot after the first
    /// <paramref name="snapshotAfter"/> events (none when 0).</summary>
    private (IActorRef Job, TestProbe Verifiers, TestProbe Registry) Recovered(List<IJobEvent> events,
        int snapshotAfter = 0)
    {
        var seeder = ActorOf(Props.Create(() => new JournalSeeder("job-" + Id)));
        Watch(seeder);
        seeder.Tell(new JournalSeeder.Write(events.Take(snapshotAfter).ToList()), TestActor);
        ExpectMsg("written");
        if (snapshotAfter > 0)
        {
            seeder.Tell(new JournalSeeder.Snapshot(State(events.Take(snapshotAfter)).ToSnapshot()), TestActor);
            ExpectMsg("saved");
        }
        seeder.Tell(new JournalSeeder.Write(events.Skip(snapshotAfter).ToList()), TestActor);
        ExpectMsg("written");
        seeder.Tell(PoisonPill.Instance);
        ExpectTerminated(seeder);
        var store = new BlobStore(_dir.File("blobs"));
        // The rounds' start states are held (a replay of a result whose start state is gone revokes it unreplayed).
        for (var round = 0; round < 3; round++)
        for (var shard = 0; shard < 2; shard++)
            store.Put(System.Text.Encoding.UTF8.GetBytes($"start-{round}-{shard}"));
        var (registry, verifiers) = (CreateTestProbe(), CreateTestProbe());
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref, CreateTestProbe().Ref, verifiers.Ref);
        return (CreateTestProbe().ChildActorOf(JobActor.Props(services), Id), verifiers, registry);
    }

    private JobView Status(IActorRef job)
    {
        job.Tell(new GetJobStatus(TheJob), TestActor);
        return FishForMessage<JobView>(_ => true, Patience);
    }

    private JobLog Logs(IActorRef job)
    {
        job.Tell(new GetJobLog(TheJob, 0), TestActor);
        return FishForMessage<JobLog>(_ => true, Patience);
    }

    [Fact]
    public void A_completed_job_whose_model_took_in_a_convicted_keys_results_is_marked_for_an_audit()
    {
        var (job, verifiers, registry) = Recovered(CompletedWithCheat());
        Assert.Null(Status(job).Audit);

        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));

        var view = Status(job);
        var mark = Assert.Single(view.Audit!);
        Assert.Equal((Cheat.ToLowerInvariant(), "fraud", 2, "0x" + new string('e', 64)),
            (mark.Address, mark.Ground, mark.Results, mark.EvidenceHash));
        Assert.Equal(JobPhase.Completed, view.State);
        var line = Assert.Single(Logs(job).Entries, e => e.Text.StartsWith("AUDIT DUE"));
        Assert.Contains($"`gensyn audit {Id}` re-verifies", line.Text);
        // Marked, not reopened: nothing is replayed or recomputed until the audit is asked for.
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        registry.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void The_same_conviction_told_again_after_a_restart_marks_the_job_once()
    {
        var events = CompletedWithCheat();
        var (job, _, _) = Recovered(events);
        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));
        Assert.Single(Status(job).Audit!);
        Watch(job);
        Sys.Stop(job);
        ExpectTerminated(job);

        // The board tells every job again after its own restart; the recovered job remembers its mark.
        var store = new BlobStore(_dir.File("blobs"));
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref);
        var again = CreateTestProbe().ChildActorOf(JobActor.Props(services), Id);
        again.Tell(new PurgeKey(TheJob, Convicted(Cheat)));

        Assert.Single(Status(again).Audit!);
        Assert.Single(Logs(again).Entries, e => e.Text.StartsWith("AUDIT DUE"));
    }

    [Fact]
    public void A_job_recovered_from_a_snapshot_taken_after_the_cheaters_results_is_still_marked()
    {
        var events = CompletedWithCheat();
        var (job, _, _) = Recovered(events, snapshotAfter: events.Count - 1);

        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));

        // The cheater's results are read from the journal before the snapshot first; then the job is marked.
        AwaitAssert(() => Assert.Equal(2, Assert.Single(Status(job).Audit ?? []).Results), Patience);
    }

    [Fact]
    public void A_key_that_contributed_nothing_to_the_model_leaves_no_mark()
    {
        // The cheater's only result was rejected: nothing of it is in the model.
        List<IJobEvent> events =
        [
            Submitted(rounds: 1), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud), .. Accepted(0, 1, 2, "other-1", Other),
            RoundDone(0), Done,
        ];
        var (job, _, _) = Recovered(events);

        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));
        job.Tell(new PurgeKey(TheJob, Convicted("0xdddddddddddddddddddddddddddddddddddddddd")));

        Assert.Null(Status(job).Audit);
        // A key whose results are in the model still is marked: the job did hear of the two before.
        job.Tell(new PurgeKey(TheJob, Convicted(Other)));
        Assert.Equal(Other, Assert.Single(Status(job).Audit!).Address);
    }

    [Fact]
    public void A_job_that_failed_has_no_model_to_audit_and_is_not_marked()
    {
        List<IJobEvent> events = [Submitted(rounds: 2), .. RoundWithCheat(0), new JobFailed("out of budget", T0)];
        var (job, verifiers, _) = Recovered(events);

        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));

        Assert.Null(Status(job).Audit);
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void An_audit_replays_the_marked_keys_results_revokes_the_one_that_fails_and_reopens_the_job_from_its_round()
    {
        var (job, verifiers, _) = Recovered(CompletedWithCheat());
        job.Tell(new PurgeKey(TheJob, Convicted(Cheat)));
        Assert.Single(Status(job).Audit!);

        job.Tell(new AuditJob(TheJob), TestActor);

        var replays = new[] { verifiers.ExpectMsg<ReplayShard>(Patience), verifiers.ExpectMsg<ReplayShard>(Patience) };
        Assert.Equal([(0, 1), (1, 1)], replays.Select(r => (r.Round, r.Shard)).Order());
        Assert.Equal(D("start-1-1"), replays.Single(r => r.Round == 1).StartState);
        // Round 0's result replays to its signed root and stands; round 1's does not.
        job.Tell(new ShardReplayed(TheJob, 0, 1, Root(0, 1, 1), null, 1), verifiers.Ref);
        job.Tell(new ShardReplayed(TheJob, 1, 1, D("honest root"), null, 1), verifiers.Ref);

        var report = ExpectMsg<AuditReport>(Patience);
        Assert.Equal([Cheat.ToLowerInvariant()], report.Keys);
        Assert.Equal((2, 1), (report.Replayed, report.Revoked));
        // The revoked result was in the model: the job reopens and rolls back to the start of its round.
        var view = AwaitView(job, v => v.Purges is { Count: 3 });
        Assert.Equal(["revoked", "reopened", "rolled-back"], view.Purges!.Select(p => p.Action));
        var revoked = view.Purges![0];
        Assert.Equal(("revoked", 1, 1, Cheat), (revoked.Action, revoked.Round, revoked.Shard, revoked.WorkerAddress));
        Assert.Matches("^0x[0-9a-f]{64}$", revoked.EvidenceHash);
        Assert.All(view.Purges!.Skip(1), p => Assert.Equal((1, revoked.EvidenceHash), (p.Round, p.EvidenceHash)));
        Assert.NotEqual(JobPhase.Completed, view.State);
        Assert.Null(view.FinalDigest);
    }

    private JobView AwaitView(IActorRef job, Func<JobView, bool> done)
    {
        JobView? view = null;
        AwaitCondition(() => done(view = Status(job)), Patience);
        return view!;
    }

    [Fact]
    public void A_coordinator_that_stopped_between_an_audit_s_revocation_and_the_reopening_reopens_the_job_once()
    {
        var mark = new AuditDue(Cheat.ToLowerInvariant(), ConvictionGround.Fraud, "fraud in job job-other",
            "0x" + new string('e', 64), 2, T0.AddHours(2));
        var (job, _, _) = Recovered([.. CompletedWithCheat(), mark, Revoke(1, 1, 1, "cheat-1", Cheat)]);

        var view = AwaitView(job, v => v.Purges is { Count: 3 });
        Assert.Equal(["revoked", "reopened", "rolled-back"], view.Purges!.Select(p => p.Action));
        Assert.Equal(1, view.Purges![2].Round);
        // Recovered again, it finds the reopening journalled and does not reopen a second time.
        Watch(job);
        Sys.Stop(job);
        ExpectTerminated(job);
        var (again, _, _) = Recovered([]);
        // Asked from a probe of its own, so that no reply to the first actor is taken for the recovered one's.
        var asker = CreateTestProbe();
        again.Tell(new GetJobStatus(TheJob), asker.Ref);
        var recovered = asker.FishForMessage<JobView>(_ => true, Patience);
        Assert.Equal(["revoked", "reopened", "rolled-back"], recovered.Purges!.Select(p => p.Action));
    }

    [Fact]
    public void An_audit_of_a_completed_job_with_no_mark_replays_nothing()
    {
        var (job, verifiers, _) = Recovered(CompletedWithCheat());
        job.Tell(new AuditJob(TheJob), TestActor);
        Assert.Equal((0, 0), (ExpectMsg<AuditReport>(Patience).Replayed, LastReport().Revoked));
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void An_audit_of_a_job_that_did_not_complete_is_refused_as_bad_input()
    {
        List<IJobEvent> events = [Submitted(rounds: 2), .. RoundWithCheat(0), new JobFailed("out of budget", T0)];
        var (job, verifiers, _) = Recovered(events);

        job.Tell(new AuditJob(TheJob), TestActor);

        var refused = ExpectMsg<RequestFailed>(Patience);
        Assert.True(refused.InvalidInput);
        Assert.Contains("only a completed job is audited", refused.Message);
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private AuditReport LastReport() => (AuditReport)LastMessage;
}

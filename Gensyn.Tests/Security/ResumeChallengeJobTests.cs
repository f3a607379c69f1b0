using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Training;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// A forged checkpoint's verdict in a running job: the job hands the resumer the checkpoint with its maker's
/// signature, journals the verdict against the maker's key, and the conviction board hears of it like of any verdict
/// (so the maker's other work is purged); the resumer is released without blame.
/// </summary>
public sealed class ResumeChallengeJobTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        # How long an expectation waits by default: a guard against a loaded machine, not a timing assertion.
        akka.test.single-expect-default = 20s
        """);

    private const string Id = "job-resumed";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("resume-attack");
    private readonly WorkerKey _maker = WorkerKey.Generate();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_forged_checkpoints_verdict_is_journalled_against_its_maker_and_reported_to_the_conviction_board()
    {
        var store = new BlobStore(_dir.File("blobs"));
        var (registry, board) = (CreateTestProbe(), CreateTestProbe());
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref, CreateTestProbe().Ref, CreateTestProbe().Ref, Convictions: board.Ref);
        var job = CreateTestProbe().ChildActorOf(JobActor.Props(services), Id);
        job.Tell(new StartJob((JobId)Id, TestSpecs.SyntheticYaml(shards: 2), _dir.Path), TestActor);
        ExpectMsg<JobAccepted>();
        registry.FishForMessage<RequestWorker>(r => r.Shard == 1, Patience);

        // The maker takes shard 1, checkpoints at step 4 (signed) and leaves.
        var first = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"maker", CreateTestProbe().Ref, _maker.Address),
            first.Ref);
        first.ExpectMsg<ShardActor.AssignConfirmed>();
        var made = new ShardCheckpointed((JobId)Id, 0, 1, 1, (WorkerId)"maker", 4, Sha256Digest.Of([4]));
        made = made with { Signature = ClaimSigner.Sign(_maker, CheckpointClaim.From(made, ClaimDomain.None)) };
        job.Tell(new ShardActor.Checkpointed(made, _maker.Address), first.Ref);
        job.Tell(new ShardActor.Lost(1, 1, (WorkerId)"maker", "the worker's process is gone", true), first.Ref);

        // The resumer gets the checkpoint with its maker's key and signature.
        var second = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"resumer", CreateTestProbe().Ref, "0xresumer"),
            second.Ref);
        var confirmed = second.ExpectMsg<ShardActor.AssignConfirmed>();
        Assert.Equal(made.Checkpoint, confirmed.Resume);
        var saved = Assert.Single(confirmed.Lineage!);
        Assert.Equal((_maker.Address, made.Signature), (saved.Maker, saved.Signature));

        var verdict = new ShardVerdict((JobId)Id, 0, 1, confirmed.Epoch, (WorkerId)"resumer", VerdictOutcome.Fraud,
            "the step-4 checkpoint is wrong: step 4 does not replay", 4, Sha256Digest.Of([1]), Sha256Digest.Of([2]),
            saved.Signature, Checkpoint: saved);
        job.Tell(new ShardActor.CheckpointJudged(1, confirmed.Epoch, (WorkerId)"resumer", verdict), second.Ref);

        var rejected = second.ExpectMsg<ShardActor.Rejected>();
        Assert.True(rejected.Excluded.Covers((WorkerId)"maker", _maker.Address));
        Assert.False(rejected.Excluded.Covers((WorkerId)"resumer", "0xresumer"));
        var report = board.FishForMessage<ReportVerdict>(_ => true, Patience);
        Assert.Equal((Id, "maker", _maker.Address, VerdictOutcome.Fraud, made.Checkpoint),
            (report.JobId.ToString(), report.Verdict.WorkerId.ToString(), report.Verdict.WorkerAddress,
                report.Verdict.Outcome, report.Verdict.Checkpoint));
        Assert.True(report.SessionAlive);
    }
}

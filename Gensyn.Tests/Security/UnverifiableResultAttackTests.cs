using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;
using Xunit.Abstractions;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// A convicted key's accepted result must not stand unverified. Before, a purge whose replay could not be had (the
/// round's start state collected from the blob store, or a verifier that kept failing) tried again every 5 s for
/// ever, and the cheater's result stayed in the job meanwhile. Now inputs that are gone revoke it at once, and a
/// verifier's failures are tried again only as often as <c>gensyn.purge.replay-attempts</c> says: either way the
/// result is revoked as unverifiable (no slash) and its shard runs again on another key.
/// </summary>
public sealed class UnverifiableResultAttackTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }
        # How long an expectation waits by default: a guard against a loaded machine, not a timing assertion.
        akka.test.single-expect-default = 20s
        gensyn.purge { replay-attempts = 2, replay-retry = 100ms }
        """);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("unverifiable-attack");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    private (IActorRef Job, BlobStore Store, TestProbe Registry, TestProbe Verifiers) RunningJob(string jobId)
    {
        var store = new BlobStore(_dir.File("blobs-" + jobId));
        var (registry, verifiers) = (CreateTestProbe(), CreateTestProbe());
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref, CreateTestProbe().Ref, verifiers.Ref, Convictions: CreateTestProbe().Ref);
        var job = CreateTestProbe().ChildActorOf(JobActor.Props(services), jobId);
        job.Tell(new StartJob((JobId)jobId, TestSpecs.SyntheticYaml(shards: 2), _dir.Path), TestActor);
        ExpectMsg<JobAccepted>();
        registry.FishForMessage<RequestWorker>(_ => true, Patience);
        registry.FishForMessage<RequestWorker>(_ => true, Patience);
        return (job, store, registry, verifiers);
    }

    /// <summary>The cheater's result on shard 1 of round 0 passes its spot-check.</summary>
    private void CheatPasses(IActorRef job, string jobId)
    {
        var shard = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"cheat-1", CreateTestProbe().Ref, Cheat), shard.Ref);
        shard.ExpectMsg<ShardActor.AssignConfirmed>();
        var result = new ShardResult((JobId)jobId, 0, 1, 1, (WorkerId)"cheat-1", Sha256Digest.Of([1, 1]),
            Sha256Digest.Of([2, 1]), Enumerable.Repeat(0.5f, 8).ToList(), "0x");
        job.Tell(new ShardActor.Judged(result, new ShardVerdict((JobId)jobId, 0, 1, 1, (WorkerId)"cheat-1",
            VerdictOutcome.Accepted, "both challenged steps replay"), Cheat, [2, 7], "00ff"), shard.Ref);
        shard.ExpectMsg<ShardActor.Accepted>();
    }

    private static KeyConvicted Convicted(string address) =>
        new(address, ConvictionGround.Fraud, "fraud in job job-other", "0x" + new string('e', 64), T0);

    private JobView Status(IActorRef job, string jobId)
    {
        job.Tell(new GetJobStatus((JobId)jobId), TestActor);
        return ExpectMsg<JobView>();
    }

    /// <summary>The cheater's result is revoked as unverifiable: shard 1 runs again, without the cheater's key.</summary>
    private void RevokedAsUnverifiable(IActorRef job, string jobId, TestProbe registry, string why)
    {
        registry.FishForMessage<RequestWorker>(r => r.Round == 0 && r.Shard == 1, Patience);
        var view = Status(job, jobId);
        Assert.Equal("waiting", view.Shards[1].State);
        var purge = Assert.Single(view.Purges!);
        Assert.Equal(("revoked", 0, 1, "cheat-1", Cheat), (purge.Action, purge.Round, purge.Shard, purge.WorkerId,
            purge.WorkerAddress));
        Assert.Contains("cannot be verified again", purge.Reason);
        Assert.Contains(why, purge.Reason);
    }

    [Fact]
    public void A_result_whose_start_state_was_collected_is_revoked_as_unverifiable_without_a_replay()
    {
        const string id = "collected";
        var (job, store, registry, verifiers) = RunningJob(id);
        CheatPasses(job, id);
        // The blob sweep collected round 0's states (what a long job's retention would do).
        var spec = SpecRef.Of(TestSpecs.SyntheticYaml(shards: 2));
        foreach (var file in Directory.EnumerateFiles(_dir.File("blobs-" + id), "*", SearchOption.AllDirectories))
            if (file != store.PathOf(spec.Hash)) File.Delete(file);

        job.Tell(new PurgeKey((JobId)id, Convicted(Cheat)));

        RevokedAsUnverifiable(job, id, registry, "no longer held");
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_replay_the_verifier_keeps_failing_is_tried_as_often_as_the_setting_says_and_then_revoked()
    {
        const string id = "failing";
        var (job, _, registry, verifiers) = RunningJob(id);
        CheatPasses(job, id);

        job.Tell(new PurgeKey((JobId)id, Convicted(Cheat)));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var replay = verifiers.ExpectMsg<ReplayShard>(Patience);
            Assert.Equal((0, 1), (replay.Round, replay.Shard));
            job.Tell(new ShardReplayed((JobId)id, 0, 1, null, "the verifier's session ended", 0), verifiers.Ref);
        }

        RevokedAsUnverifiable(job, id, registry, "failed 2 time(s)");
        verifiers.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }
}

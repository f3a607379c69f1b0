using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Shards;
using Gensyn.Tests.Workers;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// Assignments name the job's spec by hash, and the worker fetches its YAML as a blob. A coordinator or edge that
/// sends other bytes under that hash (here a valid spec of another job) must not get them run, and a spec blob that
/// cannot be found must not lose the shard. A real shard actor assigns a real shard runner whose link serves the
/// spec blob as each case sets; probes stand in for the scheduler, the job and the challenge responder.
/// </summary>
public sealed class SpecBlobAttackTests(ITestOutputHelper output) : ShardSpec(output)
{
    private readonly TempDirectory _workerDir = new();
    private readonly ConcurrentQueue<Sha256Digest> _fetched = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _workerDir.Dispose();
    }

    /// <summary>A spec no other test reads, so no process cache holds it already.</summary>
    private static string UniqueYaml(string tag) =>
        TestSpecs.SyntheticYaml() + $"\n# spec-blob attack {tag} {Guid.NewGuid():N}\n";

    /// <summary>
    /// Starts the shard of <paramref name="spec"/>, grants it a real worker whose link answers spec fetches with
    /// <paramref name="specBlob"/> (and records every hash fetched), and returns what the job is told of the loss.
    /// </summary>
    private ShardActor.Lost RunAndLose(string yaml, Func<byte[]> specBlob)
    {
        // The coordinator holds the spec intact; what reaches the worker is what the test says.
        var spec = SpecRef.Of(yaml);
        SpecBlobs.Keep(_store, spec, yaml);
        var link = new FakeCoordinatorLink
        {
            Fetch = (hash, _) =>
            {
                _fetched.Enqueue(hash);
                return hash == spec.Hash ? Task.FromResult(specBlob()) : Task.FromResult("not reached"u8.ToArray());
            },
        };
        var compute = new WorkerCompute(new WorkerOptions((WorkerId)"w-spec", [], _workerDir.Path, Threads: 1, PricePerHour: 0.2),
            link);
        var responder = CreateTestProbe("responder");
        var runner = Sys.ActorOf(ShardRunnerActor.Props(compute, responder.Ref));
        var shard = StartShard(Order with { Spec = spec });

        var key = WorkerKey.Generate();
        shard.Tell(new WorkerGranted((WorkerId)"w-spec", runner, 4, NumericClass, key.Address), _registry.Ref);
        _parent.ExpectMsg<ShardActor.AssignRequested>();
        shard.Tell(new ShardActor.AssignConfirmed(1, null), _parent.Ref);
        var lost = _parent.ExpectMsg<ShardActor.Lost>();
        Assert.Equal(1, lost.Epoch);
        // Not lost: the worker is released and the shard is offered again.
        Assert.False(_registry.ExpectMsg<ReleaseWorker>().Completed);
        _registry.ExpectMsg<RequestWorker>();
        compute.Dispose();
        return lost;
    }

    [Fact]
    public void A_spec_blob_whose_bytes_do_not_hash_to_the_ref_is_refused_and_the_shard_is_not_run()
    {
        var yaml = UniqueYaml("named");
        var spec = SpecRef.Of(yaml);
        var forged = Encoding.UTF8.GetBytes(UniqueYaml("forged"));

        var lost = RunAndLose(yaml, () => forged);

        Assert.Contains($"spec blob {spec} refused: its bytes hash to {Sha256Digest.Of(forged)}", lost.Reason);
        Assert.DoesNotContain('\n', lost.Reason);
        // Nothing ran: the start state was never fetched, and the forged spec was not kept under the ref.
        Assert.Equal([spec.Hash], _fetched.ToArray());
        Assert.Null(JobSpecs.Shared.TryGet(spec));
    }

    [Fact]
    public void An_unknown_spec_ref_fails_the_shard_with_a_clear_error_and_the_shard_is_offered_again()
    {
        var yaml = UniqueYaml("unknown");
        var spec = SpecRef.Of(yaml);

        var lost = RunAndLose(yaml,
            () => throw new BlobException($"blob {spec} is not at akka.tcp://gensyn@coordinator"));

        Assert.Contains($"spec blob {spec} could not be fetched: blob {spec} is not at", lost.Reason);
        Assert.DoesNotContain('\n', lost.Reason);
        Assert.Equal([spec.Hash], _fetched.ToArray());
    }

    [Fact]
    public void A_verifier_that_cannot_fetch_the_jobs_spec_answers_inconclusive_and_blames_no_worker()
    {
        var spec = SpecRef.Of(UniqueYaml("verifier"));
        var blobs = CreateTestProbe("job-blobs");
        blobs.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is FetchBlob fetch) sender.Tell(new BlobMissing(fetch.Hash));
            return AutoPilot.KeepRunning;
        }));
        using var verifierDir = new TempDirectory();
        var verifier = Sys.ActorOf(VerifierActor.Props(new BlobStore(verifierDir.File("blobs")), verifierDir.Path));
        var digest = Sha256Digest.Of("a state"u8.ToArray());

        verifier.Tell(new VerifyShard((JobId)JobId, spec, "/data", Round, Shard, 1, (WorkerId)"w1", WorkerKey.Generate().Address, digest,
            digest, digest, [1], [], CrossClass: false, blobs.Ref));

        var verdict = ExpectMsg<ShardVerdict>(TimeSpan.FromSeconds(30));
        Assert.Equal(VerdictOutcome.Inconclusive, verdict.Outcome);
        Assert.StartsWith("the job's spec could not be fetched", verdict.Reason);
        Assert.Contains(spec.ToString(), verdict.Reason);
    }

    [Fact]
    public void The_spec_blob_is_refused_by_its_hash_before_it_is_parsed()
    {
        var yaml = UniqueYaml("parse");
        var spec = SpecRef.Of(yaml);
        var error = Assert.Throws<JobSpecException>(() => SpecBlobs.Text(spec, Encoding.UTF8.GetBytes(yaml + " ")));
        Assert.StartsWith($"spec blob {spec} refused", error.Message);
        Assert.Equal(yaml, SpecBlobs.Text(spec, Encoding.UTF8.GetBytes(yaml)));
    }
}

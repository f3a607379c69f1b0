using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Xunit.Abstractions;

namespace Gensyn.Tests.Shards;

/// <summary>
/// What the shard actors' specs share: a blob store holding the round's start state, and probes standing in for the
/// shard's parent (the JobActor), the scheduler (the worker registry), the blob service and the verifiers. A worker
/// is a probe too. The challenge timeout is short, so that a worker that does not answer is judged within a spec.
/// </summary>
public abstract class ShardSpec : Akka.TestKit.Xunit2.TestKit
{
    protected const string JobId = "shard-spec-job";
    protected const int Round = 3;
    protected const int Shard = 1;
    protected const string NumericClass = "fp32-test";

    private readonly TempDirectory _dir = new();
    protected readonly BlobStore _store;
    protected readonly Sha256Digest _startState;
    protected readonly TestProbe _parent;
    protected readonly TestProbe _registry;
    protected readonly TestProbe _blobs;
    protected readonly TestProbe _verifiers;

    protected ShardSpec(ITestOutputHelper output)
        : base($"{ShardActor.ChallengeTimeoutSetting} = 1s", output: output)
    {
        _store = new BlobStore(_dir.Path);
        _startState = _store.Put("the round's start state"u8.ToArray());
        SpecBlobs.Keep(_store, SpecRef.Of(SpecYaml), SpecYaml);
        _parent = CreateTestProbe("job");
        _registry = CreateTestProbe("registry");
        _blobs = CreateTestProbe("blobs");
        _verifiers = CreateTestProbe("verifiers");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    /// <summary>A training shard of 8 steps with k = 2.</summary>
    /// <summary>The job's spec, as the coordinator's store holds it.</summary>
    protected const string SpecYaml = "name: spec\n";

    protected ShardOrder Order => new((JobId)JobId, Round, Shard, SpecRef.Of(SpecYaml), "/data", _startState, 23, InnerSteps: 8,
        Samples: 2, NumericClass, Exclusion.None);

    protected Props ShardProps(ShardOrder order) =>
        ShardActor.Props(order, _registry.Ref, _blobs.Ref, _store, _verifiers.Ref);

    /// <summary>A shard actor whose parent is the <see cref="_parent"/> probe; it asks for a worker.</summary>
    protected IActorRef StartShard(ShardOrder? order = null)
    {
        var shard = _parent.ChildActorOf(ShardProps(order ?? Order));
        var request = _registry.ExpectMsg<RequestWorker>();
        Assert.Equal((JobId, Round, Shard), (request.JobId, request.Round, request.Shard));
        Assert.Equal(shard, request.Requester);
        return shard;
    }

    /// <summary>
    /// The registry grants <paramref name="worker"/>; the parent is told (to journal it) and confirms
    /// <paramref name="epoch"/>; the worker then gets its assignment, which is returned. The key's
    /// <paramref name="honestStreak"/> is 0 unless given (a new key).
    /// </summary>
    protected ShardAssignment Assign(IActorRef shard, TestProbe worker, string workerId, WorkerKey key, int epoch,
        int honestStreak = 0)
    {
        shard.Tell(new WorkerGranted((WorkerId)workerId, worker.Ref, 4, NumericClass, key.Address, honestStreak),
            _registry.Ref);
        var requested = _parent.ExpectMsg<ShardActor.AssignRequested>();
        Assert.Equal((Shard, workerId, key.Address), (requested.Shard, requested.WorkerId, requested.Address));
        Assert.Equal(worker.Ref, requested.Worker);
        shard.Tell(new ShardActor.AssignConfirmed(epoch, null), _parent.Ref);
        return worker.ExpectMsg<ShardAssignment>();
    }

    /// <summary>
    /// A result as a worker sends it: its end state uploaded to the store, signed by <paramref name="key"/>; its
    /// root is <paramref name="root"/> (by default one derived from the content), with its seal's
    /// <paramref name="salt"/> if any.
    /// </summary>
    protected ShardResult Result(string workerId, WorkerKey key, int epoch, string content = "the end state",
        Sha256Digest? root = null, string? salt = null)
    {
        var end = _store.Put(System.Text.Encoding.UTF8.GetBytes(content));
        var result = new ShardResult((JobId)JobId, Round, Shard, epoch, (WorkerId)workerId, end,
            root ?? Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes("root of " + content)),
            [1f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f], "", Salt: salt);
        return result with { Signature = ClaimSigner.Sign(key, ShardResultClaim.From(result, ClaimDomain.None)) };
    }
}

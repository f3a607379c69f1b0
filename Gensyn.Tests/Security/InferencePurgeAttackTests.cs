using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Inference;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Xunit.Abstractions;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// An inference job is purged of a convicted key like a training job. Before, a conviction left a cheater's accepted
/// predictions in an inference job (only training jobs replayed the key's results), so a lazy worker whose forged
/// batches the spot-check missed shaped the predictions the requester got. Now its accepted shards are predicted
/// again in full (every batch, the roots compared), and one that differs is revoked and predicted again by another
/// key: the joined predictions are an honest run's.
/// </summary>
public sealed class InferencePurgeAttackTests(ITestOutputHelper output)
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

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const string Model = "{ kind: mlp, hidden: [16] }";
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("inference-purge");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _thread.Dispose();
        _dir.Dispose();
    }

    private static string Yaml(string weights) => $$"""
        name: infer-purge
        kind: inference
        model: {{Model}}
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        inference: { weights: {{weights}}, shards: 2, batch-size: 10 }
        verification: { samples: 2 }
        """;

    /// <summary>Weights from a short training run, uploaded to <paramref name="store"/>; the network spec names
    /// them by hash.</summary>
    private string Uploaded(BlobStore store)
    {
        var train = JobSpecParser.Parse(TestSpecs.SyntheticYaml(Model, rounds: 1, shards: 1, innerSteps: 20), _dir.Path);
        var path = _dir.File("model.safetensors");
        CheckpointFile.SaveModel(path, LocalJobRunner.Run(train, _dir.Path).FinalState,
            new Dictionary<string, string> { ["gensyn.job"] = train.Name });
        return Yaml(DataPaths.BlobReference(store.Put(File.ReadAllBytes(path)).ToString()));
    }

    /// <summary>Shard 1's honest and lazy runs (its second batch forged), and the weights state both start from.</summary>
    private (InferenceOutcome Honest, InferenceOutcome Lazy, StateSnapshot Weights) Runs(string yaml)
    {
        var spec = JobSpecs.Shared.Get(yaml);
        using var data = DatasetLoader.Load(spec, _dir.Path);
        using var session = new InferenceSession(spec, data);
        var weights = session.LoadWeights(File.ReadAllBytes(_dir.File("model.safetensors")), "the weights");
        return (session.RunShard(weights, 1), session.RunShard(weights, 1, fake: b => b == 1), weights);
    }

    [Fact]
    public void A_full_replay_of_an_inference_shard_gives_the_honest_root_and_disproves_a_forged_one()
    {
        var store = new BlobStore(_dir.File("verifier-blobs"));
        var yaml = Uploaded(store);
        var (honest, lazy, weights) = Runs(yaml);
        Assert.NotEqual(honest.Root, lazy.Root);
        var spec = SpecRef.Of(yaml);
        SpecBlobs.Keep(store, spec, yaml);
        var start = store.Put(CheckpointFile.Serialize(weights));
        var verifier = Sys.ActorOf(VerifierActor.Props(store, _dir.Path));

        verifier.Tell(new ReplayShard((JobId)"job-infer", spec, _dir.Path, 0, 1, start, CreateTestProbe().Ref),
            TestActor);

        var replayed = ExpectMsg<ShardReplayed>(Patience);
        Assert.Null(replayed.Failure);
        Assert.Equal(honest.Root, replayed.Root);
    }

    [Fact]
    public void A_convicted_keys_accepted_inference_shard_is_replayed_in_full_revoked_and_predicted_again()
    {
        const string id = "infer-purged";
        var store = new BlobStore(_dir.File("blobs"));
        var yaml = Uploaded(store);
        var (_, lazy, _) = Runs(yaml);
        var (registry, verifiers) = (CreateTestProbe(), CreateTestProbe());
        var services = new JobServices(new JobCompute(_thread, store, _dir.Path), store, CreateTestProbe().Ref,
            registry.Ref, CreateTestProbe().Ref, verifiers.Ref, Convictions: CreateTestProbe().Ref);
        var job = CreateTestProbe().ChildActorOf(JobActor.Props(services), id);
        job.Tell(new StartJob((JobId)id, yaml, _dir.Path), TestActor);
        ExpectMsg<JobAccepted>();
        registry.FishForMessage<RequestWorker>(r => r.Shard == 1, Patience);

        // The lazy worker's predictions pass their spot-check (the draw missed the forged batch).
        var shard = CreateTestProbe();
        job.Tell(new ShardActor.AssignRequested(1, (WorkerId)"cheat-1", CreateTestProbe().Ref, Cheat), shard.Ref);
        shard.ExpectMsg<ShardActor.AssignConfirmed>();
        var result = new ShardResult((JobId)id, 0, 1, 1, (WorkerId)"cheat-1", Sha256Digest.Of([3]), lazy.Root,
            lazy.Losses.ToList(), "0x");
        job.Tell(new ShardActor.Judged(result, new ShardVerdict((JobId)id, 0, 1, 1, (WorkerId)"cheat-1",
            VerdictOutcome.Accepted, "recomputed batch(es) agree"), Cheat, [1, 3], "00ff"), shard.Ref);
        shard.ExpectMsg<ShardActor.Accepted>();

        job.Tell(new PurgeKey((JobId)id, new KeyConvicted(Cheat, ConvictionGround.Fraud, "fraud elsewhere",
            "0x" + new string('e', 64), T0)));

        var replay = verifiers.ExpectMsg<ReplayShard>(Patience);
        Assert.Equal((id, 0, 1), (replay.JobId, replay.Round, replay.Shard));
        job.Tell(new ShardReplayed((JobId)id, 0, 1, Sha256Digest.Of([9]), null, 0.2), verifiers.Ref);

        registry.FishForMessage<RequestWorker>(r => r.Shard == 1 && r.Round == 0, Patience);
        job.Tell(new GetJobStatus((JobId)id), TestActor);
        var view = ExpectMsg<JobView>();
        Assert.Equal("waiting", view.Shards[1].State);
        var purge = Assert.Single(view.Purges!);
        Assert.Equal(("revoked", 1, "cheat-1"), (purge.Action, purge.Shard, purge.WorkerId));
    }
}

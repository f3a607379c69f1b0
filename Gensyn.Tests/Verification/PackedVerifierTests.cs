using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Verification;

/// <summary>
/// A verifier on a node of its own replays a job whose spec names a packed dataset: it brings the manifest and the
/// chunks from the job's blob store into its own, and reads nothing else.
/// </summary>
public sealed class PackedVerifierTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A job's store holding <paramref name="fileSpec"/>'s data packed, and the spec of a job that names it.</summary>
    private static (BlobStore Store, PackedResult Packed, SpecRef Spec) PackedJob(TempDirectory files, JobSpec fileSpec,
                                                                                    string name)
    {
        var store = new BlobStore(files.File("job-blobs"));
        var packed = DatasetPacker.Pack(fileSpec, files.Path, new BlobStoreChunks(store), PackedDataSettings.Default, 100);
        var yaml = $"name: {name}\nmodel: {{ kind: mlp, hidden: [8] }}\n" +
                   $"dataset: {{ format: csv, manifest: sha256:{packed.Digest} }}\n" +
                   "training: { rounds: 1, shards: 2, inner-steps: 6, batch-size: 8, seed: 5, checkpoint-every: 3 }\n";
        var spec = SpecRef.Of(yaml);
        SpecBlobs.Keep(store, spec, yaml);
        return (store, packed, spec);
    }

    [Fact]
    public void A_verifier_fetches_a_packed_dataset_from_the_jobs_store_and_replays_as_over_the_files()
    {
        using var files = new TempDirectory();
        using var node = new TempDirectory();
        var fileSpec = PackedFixtures.Csv(files.Path);
        var (jobStore, packed, spec) = PackedJob(files, fileSpec, "csv-verified");
        using var data = DatasetLoader.Load(fileSpec, files.Path);
        using var session = new TrainingSession(fileSpec, data);
        var expected = session.RunShard(ShardTask.For(fileSpec, 0, 1, data.Train.Count), session.InitialState);
        var start = jobStore.Put(CheckpointFile.Serialize(session.InitialState));
        var jobBlobs = Sys.ActorOf(BlobActor.Props(jobStore));
        var verifierStore = new BlobStore(node.File("blobs"));
        var verifier = Sys.ActorOf(VerifierActor.Props(verifierStore, node.Path));

        verifier.Tell(new ReplayShard((JobId)"packed-job", spec, "/", 0, 1, start, jobBlobs), TestActor);

        var replayed = ExpectMsg<ShardReplayed>(Patience);
        Assert.Null(replayed.Failure);
        Assert.Equal(expected.MerkleRoot, replayed.Root);
        Assert.All([packed.Digest, .. packed.Manifest.AllChunks.Select(c => c.Hash)],
            hash => Assert.True(verifierStore.Contains(hash)));
        Assert.False(Directory.Exists(node.File("datasets")));
    }

    [Fact]
    public void Preparing_for_a_starting_job_brings_its_dataset_here_and_loads_its_session_without_an_answer()
    {
        using var files = new TempDirectory();
        using var node = new TempDirectory();
        var (jobStore, packed, spec) = PackedJob(files, PackedFixtures.Csv(files.Path), "csv-prepared");
        var jobBlobs = Sys.ActorOf(BlobActor.Props(jobStore));
        var verifierStore = new BlobStore(node.File("blobs"));
        var verifier = Sys.ActorOf(VerifierActor.Props(verifierStore, node.Path));

        EventFilter.Info(start: "Prepared to verify prepared-job").ExpectOne(Patience,
            () => verifier.Tell(new PrepareVerification((JobId)"prepared-job", spec, "/", jobBlobs), TestActor));

        Assert.All([spec.Hash, packed.Digest, .. packed.Manifest.AllChunks.Select(c => c.Hash)],
            hash => Assert.True(verifierStore.Contains(hash)));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}

using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Blobs;

/// <summary>A running job keeps its packed dataset in the coordinator's store: the sweeper never collects it.</summary>
public sealed class DatasetPinsTests
{
    [Fact]
    public void A_running_jobs_manifest_and_chunks_are_pinned_and_survive_a_sweep()
    {
        using var files = new TempDirectory();
        using var node = new TempDirectory();
        var store = new BlobStore(node.File("blobs"));
        var fileSpec = PackedFixtures.Csv(files.Path);
        var packed = DatasetPacker.Pack(fileSpec, files.Path, new BlobStoreChunks(store), PackedDataSettings.Default,
            100);
        var yaml = "name: pinned\nmodel: { kind: mlp, hidden: [8] }\n" +
                   $"dataset: {{ format: csv, manifest: sha256:{packed.Digest} }}\n" +
                   "training: { rounds: 1, shards: 2, inner-steps: 6, batch-size: 8, seed: 5 }\n";
        var other = store.Put([1, 2, 3]);

        var pins = DatasetPins.Of(store, SpecRef.Of(yaml), yaml);
        store.Pin("job-1", pins.ToHashSet());
        store.Collect(TimeSpan.Zero, TimeSpan.Zero);

        Assert.Equal([packed.Digest, .. packed.Manifest.AllChunks.Select(c => c.Hash)], pins);
        Assert.All(pins, hash => Assert.True(store.Contains(hash)));
        Assert.False(store.Contains(other));
    }

    [Fact]
    public void A_job_that_reads_files_pins_no_dataset_blobs()
    {
        using var node = new TempDirectory();
        var yaml = TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 2);

        Assert.Empty(DatasetPins.Of(new BlobStore(node.File("blobs")), SpecRef.Of(yaml), yaml));
    }
}

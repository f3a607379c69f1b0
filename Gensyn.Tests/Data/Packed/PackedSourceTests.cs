using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Data.Packed;

/// <summary>
/// Where each node reads a spec that names a packed dataset: a worker through its link behind DATA_DIR/cache (a second
/// job on the same data moves no bytes), a coordinator from its blob store, <c>gensyn train</c> from DATA_DIR/packed;
/// never from a file or DATA_DIR/datasets.
/// </summary>
public sealed class PackedSourceTests : IDisposable
{
    private static readonly PackedDataSettings Settings = PackedDataSettings.Default;
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _node = new();
    private readonly JobSpec _fileSpec;

    public PackedSourceTests() => _fileSpec = PackedFixtures.Csv(_files.Path);

    public void Dispose()
    {
        _files.Dispose();
        _node.Dispose();
    }

    private JobOutcome Train(JobSpec spec, DataSource source)
    {
        using var data = DatasetLoader.Load(spec, source);
        return LocalJobRunner.Run(spec, data);
    }

    [Fact]
    public void A_second_job_on_the_same_data_moves_zero_bytes_and_is_served_from_the_cache()
    {
        var served = new DirectoryChunkStore(_files.File("served"));
        var packed = DatasetPacker.Pack(_fileSpec, _files.Path, served, Settings, 100);
        var spec = PackedFixtures.Packed(_fileSpec, packed.Digest);
        var link = new ServingLink(served);
        PackedSource Worker() =>
            PackedSource.Cached(_node.Path, Settings, new LinkChunkSource(link, () => CancellationToken.None));

        var first = Worker();
        var firstRun = Train(spec, new DataSource(_node.Path, first));
        var afterFirst = link.BytesSent;
        // The worker restarts between the jobs: only DATA_DIR/cache carries over.
        var second = Worker();
        var secondRun = Train(spec with { Name = "csv-test-again" }, new DataSource(_node.Path, second));

        Assert.Equal(firstRun.FinalDigest, secondRun.FinalDigest);
        Assert.True(afterFirst > 0);
        Assert.Equal(afterFirst, first.Cache!.FetchedBytes);
        Assert.Equal(0, link.BytesSent - afterFirst);
        Assert.Equal((0L, 0L), (second.Cache!.FetchedBytes, second.Cache.Misses));
        Assert.True(second.Cache.Hits > 0);
        Assert.Equal(first.Cache.Misses, second.Cache.Hits);
    }

    [Fact]
    public void A_coordinator_reads_a_packed_dataset_from_its_blob_store_and_opens_no_file()
    {
        var blobs = new BlobStore(_node.File("blobs"));
        var packed = DatasetPacker.Pack(_fileSpec, _files.Path, new BlobStoreChunks(blobs), Settings, 100);
        var spec = PackedFixtures.Packed(_fileSpec, packed.Digest);
        var expected = LocalJobRunner.Run(_fileSpec, _files.Path);
        _files.Dispose(); // the requester's files are gone

        var run = Train(spec, new DataSource(_node.Path, PackedSource.Direct(new BlobStoreChunks(blobs), Settings)));

        Assert.Equal(expected.FinalDigest, run.FinalDigest);
        Assert.False(Directory.Exists(_node.File("datasets")));
        Assert.False(Directory.Exists(_node.File("cache")));
    }

    [Fact]
    public void Gensyn_train_reads_a_spec_that_names_a_manifest_from_DATA_DIR_packed()
    {
        var local = new DirectoryChunkStore(PackedSource.LocalStoreOf(_node.Path));
        var packed = DatasetPacker.Pack(_fileSpec, _files.Path, local, Settings, 100);
        var spec = PackedFixtures.Packed(_fileSpec, packed.Digest);
        var expected = LocalJobRunner.Run(_fileSpec, _files.Path);

        Assert.Equal(expected.FinalDigest, LocalJobRunner.Run(spec, _node.Path).FinalDigest);
    }

    [Fact]
    public void A_manifest_missing_from_the_nodes_packed_store_is_refused_in_one_line_naming_the_dataset()
    {
        var packed = DatasetPacker.Pack(_fileSpec, _files.Path, new DirectoryChunkStore(_files.File("x")), Settings);
        var spec = PackedFixtures.Packed(_fileSpec, packed.Digest);

        var e = Assert.Throws<PackedDataException>(() => DatasetLoader.Load(spec, _node.Path).Dispose());

        Assert.Contains($"dataset {packed.Digest}: no source has its manifest", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_inference_job_over_a_packed_dataset_predicts_as_over_the_files()
    {
        var trained = LocalJobRunner.Run(_fileSpec, _files.Path);
        CheckpointFile.SaveModel(_files.File("model.safetensors"), trained.FinalState,
            new Dictionary<string, string> { ["gensyn.job"] = _fileSpec.Name });
        var inference = JobSpecParser.Parse("""
            name: csv-inference
            kind: inference
            model: { kind: mlp, hidden: [8] }
            dataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }
            inference: { weights: model.safetensors, shards: 2, batch-size: 5 }
            """, _files.Path);
        var packed = DatasetPacker.Pack(inference, _files.Path,
            new DirectoryChunkStore(PackedSource.LocalStoreOf(_node.Path)), Settings, 100);

        var fromFiles = LocalInference.Run(inference, _files.Path);
        var fromChunks = LocalInference.Run(PackedFixtures.Packed(inference, packed.Digest), _node.Path);

        Assert.Equal(fromFiles.FinalDigest, fromChunks.FinalDigest);
        Assert.Equal(fromFiles.Csv, fromChunks.Csv);
    }
}

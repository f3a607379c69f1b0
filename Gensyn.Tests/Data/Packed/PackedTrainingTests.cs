using System.IO.Compression;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Tests.Cli;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Data.Packed;

/// <summary>
/// The determinism contract over packed data: a job trained from a dataset's packed chunks ends with the same final
/// digest and test metrics as <c>gensyn train</c> over its files, for every format the spec accepts.
/// </summary>
public sealed class PackedTrainingTests
{
    private static readonly PackedDataSettings Settings = PackedDataSettings.Default;

    private static JobOutcome FromPacked(JobSpec spec, string dataDirectory, string store, int targetChunkBytes)
    {
        var chunks = new DirectoryChunkStore(store);
        var packed = DatasetPacker.Pack(spec, dataDirectory, chunks, Settings, targetChunkBytes);
        var manifest = PackedDataset.Manifest(packed.Digest, chunks, Settings);
        using var data = PackedDataset.Open(manifest, spec, chunks, Settings);
        return LocalJobRunner.Run(spec, data);
    }

    private static void AssertSameOutcome(JobOutcome expected, JobOutcome actual)
    {
        Assert.Equal(expected.FinalDigest, actual.FinalDigest);
        Assert.Equal(expected.Rounds.Select(r => r.CheckpointDigest), actual.Rounds.Select(r => r.CheckpointDigest));
        Assert.Equal(expected.Test, actual.Test);
    }

    [Fact]
    public void A_job_trained_from_packed_mnist_ends_with_the_same_final_digest_as_from_the_files()
    {
        using var store = new TempDirectory();
        var spec = PackedFixtures.Mnist();
        var dataDirectory = GensynProcess.DataDirectory;

        AssertSameOutcome(LocalJobRunner.Run(spec, dataDirectory),
                          FromPacked(spec, dataDirectory, store.Path, DatasetManifest.TargetChunkBytes));
    }

    [Fact]
    public void A_job_trained_from_a_packed_csv_dataset_in_many_small_chunks_ends_with_the_same_final_digest()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path, rounds: 2);

        // 7 examples of 24 bytes to a chunk: batches straddle chunks, and each split ends in a short one.
        AssertSameOutcome(LocalJobRunner.Run(spec, files.Path), FromPacked(spec, files.Path, store.Path, 7 * 24));
    }

    [Theory]
    [InlineData("bytes", FeatureEncoding.IdxBytesOver255)]
    [InlineData("binary bytes", FeatureEncoding.IdxBytes)]
    [InlineData("float32", FeatureEncoding.Float32)]
    public void Idx_images_are_packed_in_their_own_width_and_train_to_the_same_final_digest(string images,
                                                                                          FeatureEncoding expected)
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = TestSpecs.Cnn(files.Path);
        foreach (var (name, count) in new[] { ("train-images", 64), ("test-images", 16) })
        {
            var random = new Random(count);
            var pixels = Enumerable.Range(0, count * 64).Select(_ => random.Next(256)).ToArray();
            byte[] body = images switch
            {
                "bytes" => pixels.Select(p => (byte)p).ToArray(),
                "binary bytes" => pixels.Select(p => (byte)(p & 1)).ToArray(),
                _ => pixels.SelectMany(p =>
                {
                    var value = new byte[4];
                    System.Buffers.Binary.BinaryPrimitives.WriteSingleBigEndian(value, p / 7f);
                    return value;
                }).ToArray(),
            };
            File.WriteAllBytes(files.File(name), [.. IdxFiles.Header(images == "float32" ? (byte)0x0D : (byte)0x08,
                count, 8, 8), .. body]);
        }

        var packed = DatasetPacker.Pack(spec, files.Path, new DirectoryChunkStore(store.Path), Settings);
        Assert.Equal((expected, expected), (packed.Manifest.Train.Features, packed.Manifest.Test.Features));
        // A byte image takes a quarter of the space of its float32 form, beside the 4-byte label.
        Assert.Equal(64 * (4 + 64 * DatasetManifest.BytesPerValue(expected)), packed.Manifest.Train.Chunks.Sum(c => c.Bytes));
        AssertSameOutcome(LocalJobRunner.Run(spec, files.Path), FromPacked(spec, files.Path, store.Path, 1000));
    }

    [Fact]
    public void A_job_trained_from_packed_gzipped_idx_images_ends_with_the_same_final_digest()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = TestSpecs.Cnn(files.Path);
        foreach (var name in new[] { "train-images", "test-labels" })
        {
            var bytes = File.ReadAllBytes(files.File(name));
            using var gz = new GZipStream(File.Create(files.File(name)), CompressionLevel.Fastest);
            gz.Write(bytes);
        }

        AssertSameOutcome(LocalJobRunner.Run(spec, files.Path), FromPacked(spec, files.Path, store.Path, 1000));
    }

    [Fact]
    public void A_charlm_job_trained_from_a_packed_corpus_whose_windows_span_chunks_ends_with_the_same_final_digest()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = TestSpecs.CharLm(files.Path);

        AssertSameOutcome(LocalJobRunner.Run(spec, files.Path), FromPacked(spec, files.Path, store.Path, 100));
    }

    [Fact]
    public void The_packed_splits_have_the_loaded_splits_counts_shapes_and_classes()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path);
        var chunks = new DirectoryChunkStore(store.Path);
        var manifest = DatasetPacker.Pack(spec, files.Path, chunks, Settings, 100).Manifest;

        using var loaded = DatasetLoader.Load(spec, files.Path);
        using var packed = PackedDataset.Open(manifest, spec, chunks, Settings);

        foreach (var (l, p) in new[] { (loaded.Train, packed.Train), (loaded.Test, packed.Test) })
        {
            Assert.Equal(l.Count, p.Count);
            Assert.Equal(l.Shape.FeatureShape, p.Shape.FeatureShape);
            Assert.Equal(l.Shape.Classes, p.Shape.Classes);
            Assert.Equal(l.EvaluationBatches(8).SelectMany(b => b), p.EvaluationBatches(8).SelectMany(b => b));
        }
    }
}

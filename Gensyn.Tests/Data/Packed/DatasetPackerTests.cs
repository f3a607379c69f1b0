using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Tests.Cli;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Data.Packed;

/// <summary>The canonical packed form: deterministic, chunked as the manifest says, and read back as it was
/// written.</summary>
public sealed class DatasetPackerTests
{
    private static readonly PackedDataSettings Settings = PackedDataSettings.Default;

    /// <summary>A sink that counts what it is asked to write.</summary>
    private sealed class CountingSink(IChunkSink inner) : IChunkSink
    {
        public int Writes { get; private set; }
        public bool Has(Sha256Digest hash) => inner.Has(hash);

        public void Write(Sha256Digest hash, ReadOnlySpan<byte> bytes)
        {
            Writes++;
            inner.Write(hash, bytes);
        }
    }

    private static Dictionary<string, string> Files(string directory) => Directory.EnumerateFiles(directory)
        .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(File.ReadAllBytes(f)));

    [Fact]
    public void Packing_mnist_twice_gives_the_same_digest_and_the_same_chunks_bit_for_bit()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var spec = PackedFixtures.Mnist();

        var a = DatasetPacker.Pack(spec, GensynProcess.DataDirectory, new DirectoryChunkStore(first.Path), Settings);
        var b = DatasetPacker.Pack(spec, GensynProcess.DataDirectory, new DirectoryChunkStore(second.Path), Settings);

        Assert.Equal(a.Digest, b.Digest);
        Assert.Equal(Files(first.Path), Files(second.Path));
        Assert.Equal((60_000, 10_000), (a.Manifest.Train.Examples, a.Manifest.Test.Examples));
        Assert.Equal(new long[] { 1, 28, 28 }, a.Manifest.FeatureShape);
        Assert.Equal(10, a.Manifest.Train.Classes);
        Assert.All(a.Manifest.AllChunks, c => Assert.True(c.Bytes <= DatasetManifest.TargetChunkBytes));
        // One byte a pixel beside each label: 47.3 MB for the training images, not 189 MB of float32.
        Assert.Equal(FeatureEncoding.IdxBytesOver255, a.Manifest.Train.Features);
        Assert.Equal(60_000L * (4 + 784), a.Manifest.Train.Chunks.Sum(c => c.Bytes));
    }

    [Fact]
    public void The_same_files_packed_again_into_the_same_store_write_nothing()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path);
        var sink = new CountingSink(new DirectoryChunkStore(store.Path));

        var first = DatasetPacker.Pack(spec, files.Path, sink, Settings, 100);
        var written = sink.Writes;
        var second = DatasetPacker.Pack(spec, files.Path, sink, Settings, 100);

        Assert.Equal(first.Manifest.AllChunks.Count() + 1, written);
        Assert.Equal(written, sink.Writes);
        Assert.Equal(first.Digest, second.Digest);
    }

    [Fact]
    public void Every_chunk_but_the_last_holds_the_same_number_of_examples_and_each_is_stored_under_its_hash()
    {
        using var files = new TempDirectory();
        using var store = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path);
        var chunks = new DirectoryChunkStore(store.Path);

        var manifest = DatasetPacker.Pack(spec, files.Path, chunks, Settings, 100).Manifest;

        // 5 features: records of 24 bytes, 4 to a chunk of at most 100 bytes; 60 train rows, 17 test rows.
        Assert.Equal(4, manifest.Train.ExamplesPerChunk);
        Assert.Equal(Enumerable.Repeat(4, 15), manifest.Train.Chunks.Select(c => c.Examples));
        Assert.Equal([4, 4, 4, 4, 1], manifest.Test.Chunks.Select(c => c.Examples));
        Assert.All(manifest.AllChunks,
                   c => Assert.Equal(c.Hash, Sha256Digest.Of(File.ReadAllBytes(chunks.PathOf(c.Hash)))));
    }

    [Fact]
    public void A_different_file_gives_a_different_digest()
    {
        using var files = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path);
        var before = DatasetPacker.Pack(spec, files.Path, new DirectoryChunkStore(files.File("a")), Settings).Digest;
        PackedFixtures.WriteCsv(files.File("test.csv"), 17, seed: 3);

        var after = DatasetPacker.Pack(spec, files.Path, new DirectoryChunkStore(files.File("b")), Settings).Digest;
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void The_manifest_decodes_from_its_canonical_bytes_to_the_same_encoding()
    {
        using var files = new TempDirectory();
        var spec = TestSpecs.CharLm(files.Path);
        var packed = DatasetPacker.Pack(spec, files.Path, new DirectoryChunkStore(files.File("store")), Settings, 256);
        var bytes = ManifestCodec.Encode(packed.Manifest);

        var decoded = ManifestCodec.Decode(bytes, Settings);

        Assert.Equal(bytes, ManifestCodec.Encode(decoded));
        Assert.Equal(PackedKind.Text, decoded.Kind);
        Assert.Equal(packed.Digest, Sha256Digest.Of(bytes));
    }

    [Fact]
    public void Packing_reports_bad_files_as_loading_does()
    {
        using var files = new TempDirectory();
        var spec = PackedFixtures.Csv(files.Path);
        File.AppendAllText(files.File("train.csv"), "1,2,3\n");
        var store = new DirectoryChunkStore(files.File("store"));

        var loading = Assert.Throws<DatasetException>(() => DatasetLoader.Load(spec, files.Path).Dispose()).Message;
        var packing = Assert.Throws<DatasetException>(() => DatasetPacker.Pack(spec, files.Path, store, Settings))
            .Message;

        Assert.Equal(loading, packing);
        Assert.Contains("line 62 has 3 columns, expected 6", packing);
    }

    [Fact]
    public void A_generated_dataset_has_nothing_to_pack()
    {
        using var store = new TempDirectory();
        var e = Assert.Throws<DatasetException>(() =>
            DatasetPacker.Pack(TestSpecs.Synthetic(), store.Path, new DirectoryChunkStore(store.Path), Settings));
        Assert.Contains("no files to pack", e.Message);
    }
}

using System.Text;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Security;

/// <summary>
/// Packed datasets come from others: a chunk's bytes are checked against its hash before anything reads them, and a
/// manifest is checked against its own rules and the network's limits before any chunk is fetched. Each refusal is
/// one line that says what was wrong.
/// </summary>
public sealed class PackedDataAttackTests : IDisposable
{
    private static readonly PackedDataSettings Settings = PackedDataSettings.Default;
    private readonly TempDirectory _files = new();
    private readonly DirectoryChunkStore _store;
    private readonly JobSpec _spec;
    private readonly PackedResult _packed;

    public PackedDataAttackTests()
    {
        _store = new DirectoryChunkStore(_files.File("store"));
        _spec = PackedFixtures.Csv(_files.Path);
        _packed = DatasetPacker.Pack(_spec, _files.Path, _store, Settings, 100);
    }

    public void Dispose() => _files.Dispose();

    private static void AssertOneLine(string message) => Assert.DoesNotContain('\n', message);

    private static PackedDataException Refused(DatasetManifest manifest, PackedDataSettings? settings = null) =>
        Assert.Throws<PackedDataException>(() =>
            ManifestCodec.Decode(ManifestCodec.Encode(manifest), settings ?? Settings));

    [Fact]
    public void A_chunk_whose_bytes_do_not_match_its_hash_is_refused_before_training_reads_it()
    {
        var chunk = _packed.Manifest.Train.Chunks[2];
        var file = _store.PathOf(chunk.Hash);
        var bytes = File.ReadAllBytes(file);
        bytes[5] ^= 0x40; // one feature's bits flipped: same length, other hash
        File.WriteAllBytes(file, bytes);
        using var data = PackedDataset.Open(_packed.Manifest, _spec, _store, Settings);

        var e = Assert.Throws<PackedDataException>(() => data.Train.Batch([0, 9]));

        Assert.StartsWith($"chunk {chunk.Hash} refused: its bytes hash to {Sha256Digest.Of(bytes)}", e.Message);
        AssertOneLine(e.Message);
        using var clean = data.Train.Batch([0, 1]).Input; // the chunks that are intact still read
    }

    [Fact]
    public void A_chunk_cut_short_is_refused_by_its_length()
    {
        var chunk = _packed.Manifest.Test.Chunks[0];
        File.WriteAllBytes(_store.PathOf(chunk.Hash), File.ReadAllBytes(_store.PathOf(chunk.Hash))[..^24]);
        using var data = PackedDataset.Open(_packed.Manifest, _spec, _store, Settings);

        var e = Assert.Throws<PackedDataException>(() => data.Test.Batch([0]));

        Assert.Contains($"{chunk.Bytes - 24:N0} bytes, the manifest says {chunk.Bytes:N0}", e.Message);
        AssertOneLine(e.Message);
    }

    [Fact]
    public void A_forged_chunk_from_upstream_is_refused_by_the_cache_and_never_stored()
    {
        var chunk = _packed.Manifest.Train.Chunks[0];
        var forger = new DirectoryChunkStore(_files.File("forger"));
        forger.Write(chunk.Hash, new byte[chunk.Bytes]); // zeros under the real chunk's name
        var cache = new ChunkCache(_files.File("cache"), 1 << 20, forger);

        var e = Assert.Throws<PackedDataException>(() => cache.Read(chunk.Hash, chunk.Bytes));

        Assert.Contains("refused", e.Message);
        AssertOneLine(e.Message);
        Assert.False(cache.Contains(chunk.Hash));
        Assert.Empty(Directory.GetFiles(_files.File("cache")));
    }

    [Fact]
    public void A_chunk_whose_label_is_outside_the_manifests_classes_is_refused()
    {
        var original = _packed.Manifest.Train.Chunks[0];
        var forged = File.ReadAllBytes(_store.PathOf(original.Hash));
        forged[0] = 99; // label 99 in a dataset of 3 classes
        var hash = Sha256Digest.Of(forged);
        _store.Write(hash, forged);
        var chunks = _packed.Manifest.Train.Chunks.ToList();
        chunks[0] = original with { Hash = hash };
        var manifest = _packed.Manifest with { Train = _packed.Manifest.Train with { Chunks = chunks } };
        using var data = PackedDataset.Open(manifest, _spec, _store, Settings);

        var e = Assert.Throws<PackedDataException>(() => data.Train.Batch([0]));

        Assert.Contains("label 99, outside its 3 classes", e.Message);
    }

    [Fact]
    public void A_manifest_that_names_more_examples_than_its_chunks_hold_is_refused()
    {
        var m = _packed.Manifest;
        var e = Refused(m with { Train = m.Train with { Examples = m.Train.Examples + 1 } });

        Assert.Equal("dataset manifest refused: train: names 61 examples but its chunks hold 60; the manifest is " +
                     "inconsistent", e.Message);
    }

    [Fact]
    public void A_manifest_whose_chunks_are_not_full_before_the_last_is_refused()
    {
        var m = _packed.Manifest;
        var chunks = m.Test.Chunks.ToList();
        chunks[0] = chunks[0] with { Examples = 3, Bytes = 72 };
        chunks[^1] = chunks[^1] with { Examples = 2, Bytes = 48 };

        var e = Refused(m with { Test = m.Test with { Chunks = chunks } });

        Assert.Contains("test: chunk 0 holds 3 examples, expected 4", e.Message);
    }

    [Fact]
    public void A_manifest_whose_shape_does_not_match_its_chunks_is_refused()
    {
        var e = Refused(_packed.Manifest with { FeatureShape = [6] });

        Assert.Contains("the shape does not match", e.Message);
        AssertOneLine(e.Message);
    }

    [Fact]
    public void A_manifest_that_calls_float32_chunks_bytes_is_refused_by_their_size()
    {
        // Read as one byte a value, float32 records would decode to other examples: the size rule refuses it first.
        var e = Refused(_packed.Manifest with { Train = _packed.Manifest.Train with { Features = FeatureEncoding.IdxBytes } });

        Assert.Contains("train: chunk 0 has 96 bytes, but 4 examples of shape [5] take 36", e.Message);
        AssertOneLine(e.Message);
    }

    [Theory]
    [InlineData("\"features\":\"u4\"", "not a dataset manifest")]
    [InlineData("\"features\":7", "not a dataset manifest")]
    [InlineData("\"features\":\"f32\"", "not in canonical form")]
    public void A_manifest_with_an_unknown_or_spelled_out_default_feature_encoding_is_refused(string field, string why)
    {
        var canonical = Encoding.UTF8.GetString(ManifestCodec.Encode(_packed.Manifest));
        var edited = Encoding.UTF8.GetBytes(canonical.Replace("]]},\"test\"", $"]],{field}}},\"test\""));

        var e = Assert.Throws<PackedDataException>(() => ManifestCodec.Decode(edited, Settings));

        Assert.Contains(why, e.Message);
        AssertOneLine(e.Message);
    }

    [Fact]
    public void A_text_manifest_that_names_a_feature_encoding_is_refused()
    {
        var text = new DatasetManifest(PackedKind.Text, [], _packed.Manifest.Train with { Classes = 256, Features = FeatureEncoding.IdxBytes },
            _packed.Manifest.Test with { Classes = 256 });

        var e = Refused(text);

        Assert.Contains("a text dataset's examples are bytes; it names no feature encoding", e.Message);
    }

    [Fact]
    public void A_manifest_whose_example_is_larger_than_a_chunk_may_be_is_refused()
    {
        var e = Refused(_packed.Manifest with { FeatureShape = [1 << 20, 1 << 20] });

        Assert.Contains("larger than a chunk may be", e.Message);
    }

    [Fact]
    public void An_oversized_manifest_is_refused_before_it_is_parsed()
    {
        var bytes = ManifestCodec.Encode(_packed.Manifest);
        var small = Settings with { MaxManifestBytes = bytes.Length - 1 };

        var e = Assert.Throws<PackedDataException>(() => ManifestCodec.Decode(bytes, small));

        Assert.Contains($"over the limit of {bytes.Length - 1:N0} (gensyn.datasets.max-manifest-size)", e.Message);
        AssertOneLine(e.Message);
    }

    [Fact]
    public void A_manifest_in_another_encoding_of_the_same_content_is_refused()
    {
        var canonical = Encoding.UTF8.GetString(ManifestCodec.Encode(_packed.Manifest));
        var pretty = Encoding.UTF8.GetBytes(canonical.Replace(",", ", "));

        var e = Assert.Throws<PackedDataException>(() => ManifestCodec.Decode(pretty, Settings));

        Assert.Contains("not in canonical form", e.Message);
    }

    [Fact]
    public void A_manifest_that_is_not_json_is_refused_in_one_line()
    {
        var e = Assert.Throws<PackedDataException>(() => ManifestCodec.Decode("{\"format\":"u8, Settings));

        Assert.StartsWith("dataset manifest refused: not a dataset manifest", e.Message);
    }

    [Fact]
    public void A_manifest_served_under_another_datasets_digest_is_refused()
    {
        var other = Sha256Digest.Of([1, 2, 3]);
        _store.Write(other, File.ReadAllBytes(_store.PathOf(_packed.Digest)));

        var e = Assert.Throws<PackedDataException>(() => PackedDataset.Manifest(other, _store, Settings));

        Assert.StartsWith($"dataset {other} refused: its manifest's bytes hash to {_packed.Digest}", e.Message);
    }

    [Fact]
    public void A_packed_dataset_of_another_kind_than_the_jobs_data_is_refused_before_anything_is_fetched()
    {
        var charlm = TestSpecs.CharLm(_files.Path);

        var e = Assert.Throws<DatasetException>(() => PackedDataset.Open(_packed.Manifest, charlm, _store, Settings));

        Assert.Contains("holds labelled examples, but the job's dataset is text", e.Message);
    }

    [Fact]
    public void Packing_a_device_instead_of_a_data_file_is_refused_without_reading_it_to_the_end()
    {
        var spec = _spec with { Dataset = _spec.Dataset with { TrainCsv = "/dev/zero" } };

        var e = Assert.Throws<DatasetException>(() => DatasetPacker.Pack(spec, _files.Path, _store, Settings));

        Assert.Equal("/dev/zero: not a regular file, or it grew while being read (it reads past its size); give a " +
                     "data file", e.Message);
    }
}

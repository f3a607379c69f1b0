using Gensyn.Actors.Blobs;
using Gensyn.Actors.Datasets;
using Gensyn.Contracts.Datasets;
using Gensyn.Tests.Cli;
using Gensyn.Training.Data;

namespace Gensyn.Tests.Data.Packed;

/// <summary>A coordinator serves its installed MNIST as a packed dataset in its blob store, packed once.</summary>
public sealed class BuiltInDatasetsTests
{
    [Fact]
    public async Task Mnist_is_packed_into_the_blob_store_once_and_pinned_and_packed_again_only_when_a_blob_went_missing()
    {
        using var temp = new TempDirectory();
        var store = new BlobStore(temp.File("blobs"));
        var datasets = new BuiltInDatasets(store, GensynProcess.DataDirectory, PackedDataSettings.Default);

        var packed = await datasets.PackedAsync(BuiltInDatasets.Mnist);
        var again = await datasets.PackedAsync(BuiltInDatasets.Mnist);

        Assert.Same(packed, again);
        Assert.Equal((60_000L, 10_000L), (packed.Manifest.Train.Examples, packed.Manifest.Test.Examples));
        var blobs = packed.Manifest.AllChunks.Select(c => c.Hash).Append(packed.Digest).ToList();
        Assert.All(blobs, h => Assert.True(store.Contains(h) && store.IsPinned(h)));

        File.Delete(store.PathOf(blobs[0]));
        var repacked = await datasets.PackedAsync(BuiltInDatasets.Mnist);
        Assert.NotSame(packed, repacked);
        Assert.Equal(packed.Digest, repacked.Digest);
        Assert.True(store.Contains(blobs[0]));
    }

    [Fact]
    public async Task A_coordinator_without_mnist_says_so_in_one_line()
    {
        using var temp = new TempDirectory();
        var datasets = new BuiltInDatasets(new BlobStore(temp.File("blobs")), temp.Path, PackedDataSettings.Default);

        var e = await Assert.ThrowsAsync<DatasetException>(() => datasets.PackedAsync(BuiltInDatasets.Mnist));

        Assert.False(datasets.HasMnist);
        Assert.StartsWith("dataset: this coordinator has no MNIST installed", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}

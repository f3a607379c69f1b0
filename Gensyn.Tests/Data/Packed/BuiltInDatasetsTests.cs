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
    public async Task Warming_up_packs_mnist_in_the_background_and_the_first_ask_gets_that_packing()
    {
        using var temp = new TempDirectory();
        var store = new BlobStore(temp.File("blobs"));
        var datasets = new BuiltInDatasets(store, GensynProcess.DataDirectory, PackedDataSettings.Default);

        datasets.WarmUp();
        // Nobody asked yet, and its blobs arrive in the store.
        await Poll.Until(() => Directory.EnumerateFiles(temp.File("blobs"), "*", SearchOption.AllDirectories).Any(),
            TimeSpan.FromSeconds(60), "the warm-up to write a blob");
        var asked = datasets.PackedAsync(BuiltInDatasets.Mnist);
        datasets.WarmUp();
        Assert.Same(asked, datasets.PackedAsync(BuiltInDatasets.Mnist));
        var packed = await asked;
        Assert.True(store.Contains(packed.Digest) && store.IsPinned(packed.Digest));

        // Without MNIST it does nothing, and the ask still says why.
        var none = new BuiltInDatasets(new BlobStore(temp.File("none")), temp.Path, PackedDataSettings.Default);
        none.WarmUp();
        await Assert.ThrowsAsync<DatasetException>(() => none.PackedAsync(BuiltInDatasets.Mnist));
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

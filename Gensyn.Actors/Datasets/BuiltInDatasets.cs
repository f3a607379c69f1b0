using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Actors.Datasets;

/// <summary>
/// The built-in datasets a coordinator serves as packed blobs (docs/concepts/datasets.md): today MNIST, from
/// <c>DATA_DIR/datasets/mnist</c>. It is packed into the blob store the first time it is asked for (nothing is
/// journalled: packing the same files gives the same digest), and its chunks and manifest stay pinned while the
/// coordinator runs.
/// </summary>
public sealed class BuiltInDatasets(BlobStore store, string? dataDirectory, PackedDataSettings settings)
{
    public const string Mnist = "mnist";

    /// <summary>The owner the built-in datasets' blobs are pinned under.</summary>
    public const string PinOwner = "dataset:mnist";

    private static readonly Lazy<JobSpec> MnistSpec = new(() =>
        JobSpecParser.ParseNetwork("name: mnist\nmodel: { kind: mlp }\ndataset: { name: mnist }\n"));

    private readonly Lock _gate = new();
    private Task<PackedResult>? _mnist;

    /// <summary>Whether this coordinator has MNIST's files.</summary>
    public bool HasMnist => dataDirectory is not null
        && File.Exists(Path.Combine(DatasetLoader.MnistDirectory(dataDirectory), DatasetLoader.MnistFiles[0]));

    /// <summary>Why this coordinator cannot serve MNIST, in one line, or null.</summary>
    public string? MnistProblem => HasMnist ? null
        : "dataset: this coordinator has no MNIST installed (DATA_DIR/datasets/mnist); its operator runs " +
          "`./gensyn setup`, or submit to a coordinator that has it; nothing was deposited or started";

    /// <summary>The packed dataset <paramref name="name"/>: packed into the store on the first call, then the same
    /// answer (packed again only if its blobs went missing).</summary>
    /// <exception cref="DatasetException">No such built-in dataset, or not installed here.</exception>
    public Task<PackedResult> PackedAsync(string name)
    {
        if (name != Mnist)
        {
            var shown = name.Length > 40 ? name[..40] + "…" : name;
            throw new DatasetException($"no built-in dataset '{shown}'; the coordinator serves mnist " +
                                       "(synthetic data is generated from the job's seed)");
        }
        if (MnistProblem is { } problem) throw new DatasetException(problem);
        lock (_gate)
        {
            if (_mnist is { IsCompletedSuccessfully: false, IsCompleted: true }
                || _mnist is { IsCompletedSuccessfully: true } && !Held(_mnist.Result))
                _mnist = null;
            return _mnist ??= Task.Run(PackMnist);
        }
    }

    /// <summary>
    /// Starts packing the installed built-in datasets in the background, so that a requester's first submit finds them
    /// packed (MNIST: about 2 s of a 2-core machine, otherwise paid inside the first submit). A failure is not kept:
    /// the first ask packs again and reports it.
    /// </summary>
    public void WarmUp()
    {
        if (HasMnist) _ = PackedAsync(Mnist);
    }

    private PackedResult PackMnist()
    {
        var packed = DatasetPacker.Pack(MnistSpec.Value, dataDirectory!, new BlobStoreChunks(store), settings);
        store.Pin(PinOwner, packed.Manifest.AllChunks.Select(c => c.Hash).Append(packed.Digest).ToHashSet());
        return packed;
    }

    private bool Held(PackedResult packed) =>
        store.Contains(packed.Digest) && packed.Manifest.AllChunks.All(c => store.Contains(c.Hash));
}

using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Actors.Datasets;

/// <summary>
/// Whether a coordinator can run a submitted job's data, checked before anything is deposited, journalled or started:
/// a packed dataset (<c>manifest: sha256:…</c>) only when this coordinator holds its manifest, the manifest is valid
/// (<see cref="ManifestCodec"/>, within <see cref="PackedDataSettings"/>' limits) and every chunk it lists is held;
/// never files a path names (no machine opens a requester's paths); MNIST only where it is installed.
/// </summary>
public static class DatasetAvailability
{
    /// <summary>What keeps this coordinator from running <paramref name="d"/>, in one line, or null.</summary>
    public static string? Problem(DatasetSpec d, BlobStore store, PackedDataSettings settings, BuiltInDatasets builtIn)
    {
        if (d.Manifest is { } reference) return ManifestProblem(d, reference, store, settings);
        return d.Format switch
        {
            DatasetFormat.Csv or DatasetFormat.Idx or DatasetFormat.Text =>
                "dataset: a job on the network reads its data as a packed dataset (manifest: sha256:<hex>), " +
                "never from files a path names; `gensyn submit` packs the " +
                $"{d.Format.ToString().ToLowerInvariant()} files, uploads them and names the manifest",
            DatasetFormat.Mnist => builtIn.MnistProblem,
            _ => null,
        };
    }

    private static string? ManifestProblem(DatasetSpec d, string reference, BlobStore store,
                                           PackedDataSettings settings)
    {
        var digest = Sha256Digest.Parse(DataPaths.BlobHex(reference));
        const string upload = "`gensyn submit` uploads the packed dataset before the job";
        DatasetManifest manifest;
        try
        {
            var bytes = Read(store, digest, settings.MaxManifestBytes);
            if (bytes is null) return $"dataset.manifest: this coordinator does not hold blob {reference}; {upload}";
            manifest = ManifestCodec.Decode(bytes, settings);
        }
        catch (PackedDataException e)
        {
            return $"dataset.manifest: {e.Message}";
        }
        var text = d.Format == DatasetFormat.Text;
        if (text != (manifest.Kind == PackedKind.Text))
            return $"dataset.manifest: {reference} packs {(text ? "labelled examples" : "text")}, but the spec's " +
                   $"format is {d.Format.ToString().ToLowerInvariant()}; pack the dataset with the spec's format";
        var chunks = manifest.AllChunks.ToList();
        var missing = chunks.Where(c => !store.Contains(c.Hash)).ToList();
        return missing.Count == 0
            ? null
            : $"dataset.manifest: this coordinator lacks {missing.Count:N0} of the {chunks.Count:N0} chunks " +
              $"{reference} " +
              $"lists (the first: sha256:{missing[0].Hash}); {upload}";
    }

    /// <summary>The manifest's bytes, hash checked; null when the store lacks the blob or its copy is
    /// corrupt.</summary>
    /// <exception cref="PackedDataException">The blob is larger than a manifest may be (it is not read).</exception>
    private static byte[]? Read(BlobStore store, Sha256Digest digest, long max)
    {
        if (!store.Contains(digest)) return null;
        try
        {
            using var stream = store.OpenRead(digest);
            if (stream.Length > max)
                throw new PackedDataException(
                    $"dataset manifest refused: {stream.Length:N0} bytes, over the limit of " +
                    $"{max:N0} (gensyn.datasets.max-manifest-size); pack the dataset again");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return Sha256Digest.Of(bytes) == digest ? bytes : null;
        }
        catch (Exception e) when (e is BlobException or IOException)
        {
            return null;
        }
    }
}

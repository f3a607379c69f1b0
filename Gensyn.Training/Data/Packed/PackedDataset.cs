using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Opens a packed dataset for training or inference: its manifest, fetched by digest and checked, and its splits read
/// chunk by chunk from a source (<see cref="ChunkCache"/> in front of whatever serves the chunks). The splits give the
/// same batches as <see cref="DatasetLoader.Load"/> over the files the dataset was packed from.
/// </summary>
public static class PackedDataset
{
    /// <summary>The digest of the packed dataset <paramref name="dataset"/> names, or null when it names files.</summary>
    public static Sha256Digest? DigestOf(DatasetSpec dataset) =>
        dataset.Manifest is { } reference ? Sha256Digest.Parse(DataPaths.BlobHex(reference)) : null;

    /// <summary>The manifest named <paramref name="digest"/>, from <paramref name="source"/>, checked.</summary>
    /// <exception cref="PackedDataException">Missing, not the bytes the digest names, or not a usable
    /// manifest.</exception>
    public static DatasetManifest Manifest(Sha256Digest digest, IChunkSource source, PackedDataSettings settings)
    {
        var bytes = source.Read(digest, settings.MaxManifestBytes)
                    ?? throw new PackedDataException($"dataset {digest}: no source has " +
                                                     $"its manifest; pack or fetch it again");
        var actual = Sha256Digest.Of(bytes);
        if (actual != digest)
            throw new PackedDataException($"dataset {digest} refused: its manifest's " +
                                          $"bytes hash to {actual}; fetch it again");
        return ManifestCodec.Decode(bytes, settings);
    }

    /// <summary>
    /// The train and test splits of <paramref name="manifest"/> for <paramref name="spec"/>'s model. Chunks are fetched
    /// only when a batch reads them.
    /// </summary>
    /// <exception cref="DatasetException">The data does not suit the model (a text split shorter than its
    /// context).</exception>
    public static DatasetSplits Open(DatasetManifest manifest, JobSpec spec, IChunkSource source,
                                     PackedDataSettings settings)
    {
        var chunks = new ChunkReader(source, settings.ReaderMemoryBytes, DigestOf(spec.Dataset));
        var textJob = spec.Dataset.Format == DatasetFormat.Text;
        if (textJob != (manifest.Kind == PackedKind.Text))
            throw new DatasetException(textJob
                ? "the packed dataset holds labelled examples, but the job's dataset is text; pack the job's own data"
                : "the packed dataset is a text corpus, but the job's dataset is not; pack the job's own data");
        if (manifest.Kind == PackedKind.Text)
        {
            var context = spec.Model.Context;
            var (train, test) = (manifest.Train.Examples, manifest.Test.Examples);
            if (train < context + 1 || test < context + 1)
                throw new DatasetException($"packed corpus of {train + test} bytes is too small for context " +
                                           $"{context} " +
                                           $"(train {train}, test {test}); add text or lower model.context");
            return new DatasetSplits(new TextData(new PackedTextCorpus(manifest.Train, chunks), context),
                                     new TextData(new PackedTextCorpus(manifest.Test, chunks), context));
        }
        return new DatasetSplits(new PackedClassificationData(manifest, manifest.Train, chunks),
                                 new PackedClassificationData(manifest, manifest.Test, chunks));
    }
}

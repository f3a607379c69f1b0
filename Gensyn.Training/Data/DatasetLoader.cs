using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Training.Data;

/// <summary>
/// Turns a job's dataset section into train and test splits. Files: a network spec's from under
/// <c>DATA_DIR/datasets</c> (see <see cref="DatasetFiles"/>), a local spec's where it names them. A spec that names a
/// packed dataset (<c>dataset.manifest</c>) opens no file: its manifest and chunks come from the source's
/// <see cref="DataSource.Packed"/> by hash (<see cref="PackedDataset"/>).
/// </summary>
public static class DatasetLoader
{
    /// <summary>File names of the MNIST IDX files inside <c>DATA_DIR/datasets/mnist</c>.</summary>
    public static readonly string[] MnistFiles =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static string MnistDirectory(string dataDirectory) => Path.Combine(dataDirectory, "datasets", "mnist");

    public static DatasetSplits Load(JobSpec spec, DataSource source)
    {
        var d = spec.Dataset;
        if (PackedDataset.DigestOf(d) is { } digest)
        {
            var packed = source.PackedOrLocal;
            var manifest = PackedDataset.Manifest(digest, packed.Chunks, packed.Settings);
            return PackedDataset.Open(manifest, spec, packed.Chunks, packed.Settings);
        }
        var dataDirectory = source.DataDirectory;
        var files = new DatasetFiles(dataDirectory);
        switch (d.Format)
        {
            case DatasetFormat.Mnist:
                var dir = MnistDirectory(dataDirectory);
                if (!File.Exists(Path.Combine(dir, MnistFiles[0])))
                    throw new DatasetException($"{dir}: MNIST is not installed; run ./gensyn setup (or any ./gensyn command) to fetch it");
                return LoadIdx(Mnist(0), Mnist(1), Mnist(2), Mnist(3));
                DatasetFiles.Located Mnist(int file) => new(Path.Combine(dir, MnistFiles[file]), $"{DataPaths.NetworkRoot}/mnist/{MnistFiles[file]}");
            case DatasetFormat.Idx:
                return LoadIdx(files.Locate(d.TrainImages!), files.Locate(d.TrainLabels!), files.Locate(d.TestImages!), files.Locate(d.TestLabels!));
            case DatasetFormat.Csv:
                var (trainCsv, testCsv) = (files.Locate(d.TrainCsv!), files.Locate(d.TestCsv!));
                var train = CsvReader.Read(trainCsv.Path, d.LabelColumn, shown: trainCsv.Shown);
                try
                {
                    return new DatasetSplits(train, CsvReader.Read(testCsv.Path, d.LabelColumn, (int)train.Shape.FeatureShape[0], testCsv.Shown));
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            case DatasetFormat.Text:
                var located = d.TextPaths.Select(files.Locate).ToList();
                var corpus = TextCorpusReader.Read(located, d.TextInclude, files);
                var testBytes = (int)(corpus.Length * d.TestFraction);
                var context = spec.Model.Context;
                if (testBytes < context + 1 || corpus.Length - testBytes < context + 1)
                    throw new DatasetException($"{string.Join(", ", located.Select(l => l.Shown))}: corpus of {corpus.Length} bytes is too small for context {context} with test-fraction {d.TestFraction}; add text or lower model.context");
                return new DatasetSplits(new TextData(corpus[..^testBytes], context), new TextData(corpus[^testBytes..], context));
            case DatasetFormat.Synthetic:
                // An inference job has no training.seed: its synthetic data is drawn with seed 0.
                return SyntheticData.Create(d.SyntheticSamples, d.SyntheticFeatures, d.SyntheticClasses,
                    spec.Training?.Seed ?? 0);
            default:
                throw new DatasetException($"dataset format {d.Format} is not supported");
        }
    }

    private static DatasetSplits LoadIdx(DatasetFiles.Located trainImages, DatasetFiles.Located trainLabels, DatasetFiles.Located testImages, DatasetFiles.Located testLabels)
    {
        var train = IdxReader.ReadLabelled(trainImages.Path, trainLabels.Path, trainImages.Shown, trainLabels.Shown);
        try
        {
            var test = IdxReader.ReadLabelled(testImages.Path, testLabels.Path, testImages.Shown, testLabels.Shown);
            if (!test.Shape.FeatureShape.SequenceEqual(train.Shape.FeatureShape))
            {
                test.Dispose();
                throw new DatasetException($"{testImages.Shown}: image shape {string.Join('x', test.Shape.FeatureShape)} differs from the training images' {string.Join('x', train.Shape.FeatureShape)}; the files do not belong together");
            }
            return new DatasetSplits(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }
}

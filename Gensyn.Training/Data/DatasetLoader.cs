using Gensyn.Contracts.Jobs;

namespace Gensyn.Training.Data;

/// <summary>Turns a job's dataset section into train and test splits, reading local files only.</summary>
public static class DatasetLoader
{
    /// <summary>File names of the MNIST IDX files inside <c>DATA_DIR/datasets/mnist</c>.</summary>
    public static readonly string[] MnistFiles =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static string MnistDirectory(string dataDirectory) => Path.Combine(dataDirectory, "datasets", "mnist");

    public static DatasetSplits Load(JobSpec spec, string dataDirectory)
    {
        var d = spec.Dataset;
        switch (d.Format)
        {
            case DatasetFormat.Mnist:
                var dir = MnistDirectory(dataDirectory);
                if (!File.Exists(Path.Combine(dir, MnistFiles[0])))
                    throw new DatasetException($"{dir}: MNIST is not installed; run ./gensyn setup (or any ./gensyn command) to fetch it");
                return LoadIdx(Path.Combine(dir, MnistFiles[0]), Path.Combine(dir, MnistFiles[1]),
                               Path.Combine(dir, MnistFiles[2]), Path.Combine(dir, MnistFiles[3]));
            case DatasetFormat.Idx:
                return LoadIdx(d.TrainImages!, d.TrainLabels!, d.TestImages!, d.TestLabels!);
            case DatasetFormat.Csv:
                var train = CsvReader.Read(d.TrainCsv!, d.LabelColumn);
                try
                {
                    return new DatasetSplits(train, CsvReader.Read(d.TestCsv!, d.LabelColumn, (int)train.Shape.FeatureShape[0]));
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            case DatasetFormat.Text:
                var corpus = TextCorpusReader.Read(d.TextPaths, d.TextInclude);
                var testBytes = (int)(corpus.Length * d.TestFraction);
                var context = spec.Model.Context;
                if (testBytes < context + 1 || corpus.Length - testBytes < context + 1)
                    throw new DatasetException($"{string.Join(", ", d.TextPaths)}: corpus of {corpus.Length} bytes is too small for context {context} with test-fraction {d.TestFraction}; add text or lower model.context");
                return new DatasetSplits(new TextData(corpus[..^testBytes], context), new TextData(corpus[^testBytes..], context));
            case DatasetFormat.Synthetic:
                return SyntheticData.Create(d.SyntheticSamples, d.SyntheticFeatures, d.SyntheticClasses, spec.Training.Seed);
            default:
                throw new DatasetException($"dataset format {d.Format} is not supported");
        }
    }

    private static DatasetSplits LoadIdx(string trainImages, string trainLabels, string testImages, string testLabels)
    {
        var train = IdxReader.ReadLabelled(trainImages, trainLabels);
        try
        {
            var test = IdxReader.ReadLabelled(testImages, testLabels);
            if (!test.Shape.FeatureShape.SequenceEqual(train.Shape.FeatureShape))
            {
                test.Dispose();
                throw new DatasetException($"{testImages}: image shape {string.Join('x', test.Shape.FeatureShape)} differs from the training images' {string.Join('x', train.Shape.FeatureShape)}; the files do not belong together");
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

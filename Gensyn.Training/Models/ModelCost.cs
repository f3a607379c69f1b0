using System.Buffers.Binary;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Models.TorchScript;

namespace Gensyn.Training.Models;

/// <summary>
/// What a job's training costs in arithmetic, with no tensors: the FLOPs of one forward pass and of one training step of
/// a spec's model at its batch size, and the same in units of the reference step every worker measures
/// (<see cref="Training.ReferenceStep"/>: an MLP 784-256-10, batch 64, no biases), so that a worker's measured
/// reference steps per second turn into seconds per step of any job.
/// <para>
/// Counted: the multiply-accumulates of the matrix products and convolutions, 2 FLOPs each (for a transformer also the
/// attention scores and their weighted sum over the full context, as the model computes them before masking). Not
/// counted: biases, activations, pooling, normalisation, softmax, embeddings and the optimizer update, which are small
/// next to the products for these models. A training step is forward + backward ≈ 3 x forward (the backward pass
/// computes two products per forward product: the gradients of the input and of the weights).
/// </para>
/// <para>
/// A TorchScript model is not analysed: its forward pass is taken as 2 FLOPs per parameter and example (exact for
/// Linear layers; a convolution, which reuses each weight at every position, costs more than this says).
/// </para>
/// </summary>
public static class ModelCost
{
    /// <summary>A training step costs this many forward passes.</summary>
    public const double StepOverForward = 3;

    /// <summary>The reference step's forward pass: 2 x 64 x (784 x 256 + 256 x 10) = 26,017,792 FLOPs.</summary>
    public const double ReferenceForwardFlops = 2.0 * 64 * (784 * 256 + 256 * 10);

    /// <summary>The reference training step: 3 x its forward pass = 78,053,376 FLOPs.</summary>
    public const double ReferenceStepFlops = StepOverForward * ReferenceForwardFlops;

    /// <summary>The FLOPs of one forward pass of <paramref name="model"/> over a batch of <paramref name="batch"/> examples shaped <paramref name="data"/>.</summary>
    public static double ForwardFlops(ModelSpec model, DataShape data, int batch) => batch * model.Kind switch
    {
        ModelKind.Mlp => MlpFlops(Features(data), model.Hidden, data.Classes),
        ModelKind.Cnn => CnnFlops(data.FeatureShape, model.Channels, data.Classes),
        ModelKind.CharLm => CharLmFlops(model.DModel, model.Layers, model.Context),
        ModelKind.TorchScript => 2.0 * TorchScriptModules.Of(model).Parameters,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model.Kind, "unknown model kind"),
    };

    /// <summary>The FLOPs of one training step (forward and backward) of <paramref name="model"/> over a batch.</summary>
    public static double StepFlops(ModelSpec model, DataShape data, int batch) => StepOverForward * ForwardFlops(model, data, batch);

    /// <summary>One training step of the job, in reference steps (1.0 for an MLP 784-256-10 at batch 64).</summary>
    public static double TrainingStepWork(JobSpec spec) =>
        StepFlops(spec.Model, ShapeOf(spec), spec.BatchSize) / ReferenceStepFlops;

    /// <summary>One forward batch of an inference job, in reference steps.</summary>
    public static double InferenceStepWork(JobSpec spec) =>
        ForwardWork(spec.Model, ShapeOf(spec), spec.BatchSize);

    /// <summary>
    /// The batches of an inference job's largest shard, from the number of test items (read from the files' headers
    /// when they are here, else MNIST's 10,000).
    /// </summary>
    public static int InferenceBatches(JobSpec spec) =>
        Inference.InferenceShard.MostBatches(TestItems(spec) ?? 10_000, spec.Shards, spec.BatchSize);

    /// <summary>How many examples the dataset's test split holds, from what can be read without loading it; null when unknown here.</summary>
    public static long? TestItems(JobSpec spec) => spec.Dataset.Format switch
    {
        DatasetFormat.Mnist => 10_000,
        DatasetFormat.Synthetic => SyntheticData.TestSamples(spec.Dataset.SyntheticSamples),
        DatasetFormat.Idx => IdxCount(spec.Dataset.TestLabels),
        DatasetFormat.Csv => CsvRows(spec.Dataset.TestCsv),
        _ => null,
    };

    private static long? IdxCount(string? path)
    {
        if (!IsLocalFile(path) || path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> header = stackalloc byte[8];
            return file.Read(header) < 8 || header[0] != 0 || header[1] != 0 ? null : BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A CSV file's data rows (a first line whose label is not a number is a header, as <see cref="CsvReader"/> reads it).</summary>
    private static long? CsvRows(string? path)
    {
        if (!IsLocalFile(path)) return null;
        try
        {
            var lines = File.ReadLines(path).Where(l => l.Trim().Length > 0).ToList();
            var header = lines.Count > 0 && !lines[0].Split(',').Any(f => double.TryParse(f, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
            return lines.Count - (header ? 1 : 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// One forward pass (no backward) of <paramref name="model"/> over <paramref name="batch"/> examples shaped
    /// <paramref name="data"/>, in reference steps: what an inference batch costs.
    /// </summary>
    public static double ForwardWork(ModelSpec model, DataShape data, int batch) => ForwardFlops(model, data, batch) / ReferenceStepFlops;

    /// <summary>
    /// The shape of the job's examples, known without loading its data: MNIST is 1x28x28 in 10 classes, synthetic data
    /// and text say theirs in the spec; IDX and CSV files are read for their header or first line when this machine has
    /// them (they live where the requester and the workers are), otherwise taken as 28x28 images / 784 features. Classes
    /// of IDX and CSV data are taken as 10: they size only the last layer.
    /// </summary>
    public static DataShape ShapeOf(JobSpec spec)
    {
        var d = spec.Dataset;
        if (d.Format is DatasetFormat.Idx or DatasetFormat.Csv && PackedShape(d) is { } packed) return packed;
        return d.Format switch
        {
            DatasetFormat.Mnist => new DataShape([1, 28, 28], 10, IsSequence: false),
            DatasetFormat.Synthetic => new DataShape([d.SyntheticFeatures], d.SyntheticClasses, IsSequence: false),
            DatasetFormat.Text => new DataShape([spec.Model.Context], 256, IsSequence: true),
            DatasetFormat.Idx => new DataShape(IdxImageShape(d.TrainImages) ?? [1, 28, 28], AssumedClasses, IsSequence: false),
            DatasetFormat.Csv => new DataShape([CsvFeatures(d.TrainCsv) ?? 28 * 28], AssumedClasses, IsSequence: false),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), d.Format, "unknown dataset format"),
        };
    }

    private const int AssumedClasses = 10;

    /// <summary>Whether <see cref="ShapeOf"/> knows <paramref name="spec"/>'s shape rather than assuming one: every
    /// dataset but packed IDX or CSV data whose manifest this machine does not hold.</summary>
    public static bool ShapeKnown(JobSpec spec) =>
        spec.Dataset is not { Format: DatasetFormat.Idx or DatasetFormat.Csv, Manifest: not null } d
        || PackedShape(d) is not null;

    /// <summary>The shape a packed dataset's manifest gives (<c>dataset.manifest</c>), when this machine holds it (a
    /// coordinator the requester uploaded it to); null otherwise.</summary>
    private static DataShape? PackedShape(DatasetSpec d)
    {
        if (Data.Packed.PackedDataset.DigestOf(d) is not { } digest
            || TorchScript.TorchScriptModules.Uploaded(digest) is not { } bytes
            || Contracts.Sha256Digest.Of(bytes) != digest)
            return null;
        try
        {
            var manifest = Contracts.Datasets.ManifestCodec.Decode(bytes, Contracts.Datasets.PackedDataSettings.Default);
            return new DataShape([.. manifest.FeatureShape], Math.Max(manifest.Train.Classes, manifest.Test.Classes),
                IsSequence: false);
        }
        catch (Contracts.Datasets.PackedDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a file named by a spec read on this machine (absolute). A network spec's paths are relative
    /// to each machine's datasets folder; they are never probed here, where the estimate is made.
    /// </summary>
    private static bool IsLocalFile([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? path) =>
        path is not null && Path.IsPathRooted(path) && File.Exists(path);

    /// <summary>Bytes per parameter while training: the parameter, its gradient, two AdamW moments, and the round's start and outer momentum.</summary>
    private const double TrainingCopiesPerParameter = 6;

    /// <summary>The parameters (weights and biases) of <paramref name="model"/> over examples shaped <paramref name="data"/>.</summary>
    public static double Parameters(ModelSpec model, DataShape data) => model.Kind switch
    {
        ModelKind.Mlp => MlpParameters(Features(data), model.Hidden, data.Classes),
        ModelKind.Cnn => CnnParameters(data.FeatureShape, model.Channels, data.Classes),
        ModelKind.CharLm => CharLmParameters(model.DModel, model.Layers, model.Context),
        ModelKind.TorchScript => TorchScriptModules.Of(model).Parameters,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model.Kind, "unknown model kind"),
    };

    /// <summary>
    /// The activations one example keeps for the backward pass, in floats: each layer's output (for a transformer also the per-head
    /// attention scores, context² per head, and the 4x MLP expansion).
    /// </summary>
    public static double ActivationsPerExample(ModelSpec model, DataShape data) => model.Kind switch
    {
        ModelKind.Mlp => Features(data) + model.Hidden.Sum(h => (double)h) * 2 + data.Classes,
        ModelKind.Cnn => CnnActivations(data.FeatureShape, model.Channels) + 128 + data.Classes,
        ModelKind.CharLm => (double)model.Context * (model.Layers * (16.0 * model.DModel + model.Heads * model.Context) + 2 * model.DModel + 256),
        // Unknown without running it: the input, and as much again per layer's worth of outputs, taken as the input's size.
        ModelKind.TorchScript => 3.0 * Features(data) + data.Classes,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model.Kind, "unknown model kind"),
    };

    /// <summary>
    /// A rough upper estimate of the memory a training step of the job needs, in bytes: the parameters with their
    /// gradients and optimizer state, plus a batch's activations for the forward and backward pass. What a worker must
    /// have free to take the job.
    /// </summary>
    public static double TrainingBytes(JobSpec spec)
    {
        var shape = ShapeOf(spec);
        var activations = 2.0 * spec.BatchSize * ActivationsPerExample(spec.Model, shape);
        return 4 * (TrainingCopiesPerParameter * Parameters(spec.Model, shape) + activations);
    }

    /// <summary>The same for an inference batch: the parameters and one forward pass.</summary>
    public static double InferenceBytes(JobSpec spec)
    {
        var shape = ShapeOf(spec);
        var activations = (double)spec.BatchSize * ActivationsPerExample(spec.Model, shape);
        return 4 * (Parameters(spec.Model, shape) + activations);
    }

    private static double MlpParameters(long inputs, IReadOnlyList<int> hidden, int classes)
    {
        double count = 0, width = inputs;
        foreach (var h in hidden)
        {
            count += (width + 1) * h;
            width = h;
        }
        return count + (width + 1) * classes;
    }

    private static double CnnParameters(long[] shape, IReadOnlyList<int> channels, int classes)
    {
        var (c, h, w) = CnnInput(shape);
        double count = 0;
        foreach (var next in channels)
        {
            count += (c * 9 + 1) * next;
            c = next;
            h = Math.Floor(h / 2);
            w = Math.Floor(w / 2);
        }
        return count + (c * h * w + 1) * 128 + 129.0 * classes;
    }

    private static double CnnActivations(long[] shape, IReadOnlyList<int> channels)
    {
        var (c, h, w) = CnnInput(shape);
        var count = c * h * w;
        foreach (var next in channels)
        {
            count += 2 * h * w * next;   // the convolution's output and its ReLU
            h = Math.Floor(h / 2);
            w = Math.Floor(w / 2);
            count += h * w * next;       // the pool
        }
        return count;
    }

    private static (double C, double H, double W) CnnInput(long[] shape) =>
        shape.Length == 3 ? (shape[0], shape[1], shape[2]) : (1, 28, 28);

    /// <summary>Token and position embeddings, per layer two norms, qkv, projection and the 4x MLP, the final norm and the 256-way head.</summary>
    private static double CharLmParameters(double d, int layers, int context) =>
        256 * d + context * d + layers * (4 * d + 3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d) + 2 * d + (d + 1) * 256;

    private static long Features(DataShape data) => data.FeatureShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Per example: a Linear per hidden width, then the classifier.</summary>
    private static double MlpFlops(long inputs, IReadOnlyList<int> hidden, int classes)
    {
        double flops = 0;
        var width = (double)inputs;
        foreach (var h in hidden)
        {
            flops += 2 * width * h;
            width = h;
        }
        return flops + 2 * width * classes;
    }

    /// <summary>Per example: per block a 3x3 convolution (padding 1) at the block's resolution, then a 2x2 pool; then Linear(128) and the classifier.</summary>
    private static double CnnFlops(long[] shape, IReadOnlyList<int> channels, int classes)
    {
        double c = shape.Length == 3 ? shape[0] : 1;
        double h = shape.Length == 3 ? shape[1] : 28, w = shape.Length == 3 ? shape[2] : 28;
        double flops = 0;
        foreach (var next in channels)
        {
            flops += 2 * h * w * c * next * 9;
            c = next;
            h = Math.Floor(h / 2);
            w = Math.Floor(w / 2);
        }
        return flops + 2 * c * h * w * 128 + 2 * 128 * classes;
    }

    /// <summary>
    /// Per sequence of <paramref name="context"/> bytes: per layer and token the qkv (3d²), output (d²) and MLP (8d²)
    /// products, 12d² multiply-accumulates; per layer the attention scores and weighted sum, 2 x context² x d; per token
    /// the 256-way head.
    /// </summary>
    private static double CharLmFlops(double d, int layers, double context) =>
        2 * (context * (layers * 12 * d * d + d * 256) + layers * 2 * context * context * d);

    /// <summary>An IDX image file's per-example shape from its header (channels x height x width), or null when it cannot be read here.</summary>
    private static long[]? IdxImageShape(string? path)
    {
        if (!IsLocalFile(path) || path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> header = stackalloc byte[16];
            if (file.Read(header) < 16 || header[0] != 0 || header[1] != 0 || header[3] < 2) return null;
            var rank = header[3];
            var dims = new long[rank - 1];
            for (var i = 1; i < rank && 4 + 4 * i + 4 <= 16; i++) dims[i - 1] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            return dims.Length switch
            {
                1 when dims[0] > 0 => [dims[0]],
                2 when dims[0] > 0 && dims[1] > 0 => [1, dims[0], dims[1]],
                _ => null,
            };
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A CSV file's feature count (columns but the label) from its first line, or null when it cannot be read here.</summary>
    private static long? CsvFeatures(string? path)
    {
        if (!IsLocalFile(path)) return null;
        try
        {
            using var reader = new StreamReader(path);
            var line = reader.ReadLine();
            return line is null ? null : Math.Max(1, line.Split(',').Length - 1);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

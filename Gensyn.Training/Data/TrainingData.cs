using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Data;

/// <summary>What a model needs to know about its data to be built.</summary>
public sealed record DataShape(long[] FeatureShape, int Classes, bool IsSequence);

/// <summary>
/// One split of a dataset, addressable by example index so that any batch can be rebuilt from its
/// indices alone (the trainer, a replaying verifier and a resumed shard all ask for the same batch).
/// </summary>
public interface ITrainingData : IDisposable
{
    /// <summary>Number of addressable examples (for text: window start offsets).</summary>
    long Count { get; }

    DataShape Shape { get; }

    /// <summary>Input and target tensors for the given example indices, in that order.</summary>
    (Tensor Input, Tensor Target) Batch(long[] indices);

    /// <summary>The example indices that an evaluation pass visits, in batches, in a fixed order.</summary>
    IEnumerable<long[]> EvaluationBatches(int batchSize);
}

/// <summary>The train and test splits of one dataset.</summary>
public sealed record DatasetSplits(ITrainingData Train, ITrainingData Test) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

/// <summary>Labelled feature vectors or images held as one float tensor and one label tensor.</summary>
public sealed class ClassificationData : ITrainingData
{
    private readonly Tensor _features;
    private readonly Tensor _labels;

    /// <param name="features">Row-major values, <paramref name="count"/> × product(featureShape).</param>
    public ClassificationData(float[] features, long[] labels, long[] featureShape, int classes)
    {
        var count = labels.LongLength;
        var shape = new long[featureShape.Length + 1];
        shape[0] = count;
        featureShape.CopyTo(shape, 1);
        _features = torch.tensor(features, shape, ScalarType.Float32);
        _labels = torch.tensor(labels, ScalarType.Int64);
        Shape = new DataShape(featureShape, classes, IsSequence: false);
    }

    public long Count => _labels.shape[0];
    public DataShape Shape { get; }

    public (Tensor Input, Tensor Target) Batch(long[] indices)
    {
        using var index = torch.tensor(indices, ScalarType.Int64);
        return (_features.index_select(0, index), _labels.index_select(0, index));
    }

    public IEnumerable<long[]> EvaluationBatches(int batchSize) => InOrder(Count, batchSize);

    /// <summary>Examples 0 to <paramref name="count"/> − 1 in batches of <paramref name="batchSize"/> (the last may be
    /// short).</summary>
    public static IEnumerable<long[]> InOrder(long count, int batchSize)
    {
        for (long start = 0; start < count; start += batchSize)
        {
            var n = (int)Math.Min(batchSize, count - start);
            var batch = new long[n];
            for (var i = 0; i < n; i++) batch[i] = start + i;
            yield return batch;
        }
    }

    public void Dispose()
    {
        _features.Dispose();
        _labels.Dispose();
    }
}

/// <summary>The bytes of a text corpus, wherever they are kept (in memory, or in packed chunks).</summary>
public interface ITextCorpus
{
    long Length { get; }

    /// <summary>Copies the bytes from <paramref name="offset"/> on into <paramref name="destination"/> (which it
    /// fills).</summary>
    void CopyTo(long offset, Span<byte> destination);
}

/// <summary>A corpus held in memory.</summary>
public sealed class InMemoryCorpus(byte[] bytes) : ITextCorpus
{
    public long Length => bytes.LongLength;

    public void CopyTo(long offset, Span<byte> destination) =>
        bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);
}

/// <summary>A byte corpus for next-byte prediction: example i is the window of context+1 bytes at offset i.</summary>
public sealed class TextData : ITrainingData
{
    private readonly ITextCorpus _corpus;
    private readonly int _context;

    public TextData(byte[] corpus, int context) : this(new InMemoryCorpus(corpus), context) { }

    public TextData(ITextCorpus corpus, int context)
    {
        if (corpus.Length < context + 1)
            throw new DatasetException($"text corpus has {corpus.Length} bytes, fewer than context + 1 = {context + 1}; add text or lower model.context");
        _corpus = corpus;
        _context = context;
        Shape = new DataShape([context], 256, IsSequence: true);
    }

    public long Count => _corpus.Length - _context;
    public DataShape Shape { get; }

    public (Tensor Input, Tensor Target) Batch(long[] indices)
    {
        var x = new long[indices.Length * _context];
        var y = new long[indices.Length * _context];
        var window = new byte[_context + 1];
        for (var b = 0; b < indices.Length; b++)
        {
            _corpus.CopyTo(indices[b], window);
            for (var t = 0; t < _context; t++)
            {
                x[b * _context + t] = window[t];
                y[b * _context + t] = window[t + 1];
            }
        }
        return (torch.tensor(x, [indices.Length, _context], ScalarType.Int64),
                torch.tensor(y, [indices.Length, _context], ScalarType.Int64));
    }

    /// <summary>Non-overlapping windows, so every test byte is predicted once.</summary>
    public IEnumerable<long[]> EvaluationBatches(int batchSize)
    {
        var windows = new List<long>();
        for (long offset = 0; offset + _context < _corpus.Length; offset += _context) windows.Add(offset);
        for (var i = 0; i < windows.Count; i += batchSize)
            yield return windows.GetRange(i, Math.Min(batchSize, windows.Count - i)).ToArray();
    }

    public void Dispose() { }
}

/// <summary>A dataset file or directory that cannot be used; the message names it and the problem.</summary>
public sealed class DatasetException(string message) : Exception(message);

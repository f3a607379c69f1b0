using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Gensyn.Contracts.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// A classification split read from packed chunks: a batch gathers its examples from the chunks that hold them, so
/// only those are fetched, and gives the same tensors as <see cref="ClassificationData"/> over the same files.
/// </summary>
public sealed class PackedClassificationData : ITrainingData
{
    private readonly PackedSplit _split;
    private readonly ChunkReader _chunks;
    private readonly long _values;

    public PackedClassificationData(DatasetManifest manifest, PackedSplit split, ChunkReader chunks)
    {
        _split = split;
        _chunks = chunks;
        _values = manifest.FeatureValues;
        Shape = new DataShape(manifest.FeatureShape.ToArray(), split.Classes, IsSequence: false);
    }

    public long Count => _split.Examples;
    public DataShape Shape { get; }

    public (Tensor Input, Tensor Target) Batch(long[] indices)
    {
        // Into tensors libtorch allocates, as index_select's results are: a tensor over a managed array would take that
        // array's alignment, which changes from run to run, and libtorch's vectorised kernels round differently on
        // differently aligned data (the same batch would not give the same step bit for bit). The examples are copied
        // straight into the tensors' memory: a managed array per batch (200 KB for MNIST) would land on the large
        // object heap at every step and keep the garbage collector busy.
        var x = torch.empty([indices.Length, .. Shape.FeatureShape], ScalarType.Float32);
        var y = torch.empty([indices.Length], ScalarType.Int64);
        var values = (int)_values;
        var features = MemoryMarshal.Cast<byte, float>(x.bytes);
        var labels = MemoryMarshal.Cast<byte, long>(y.bytes);
        for (var b = 0; b < indices.Length; b++)
        {
            var (chunkIndex, offset) = _split.Locate(indices[b]);
            var chunk = Decoded(chunkIndex);
            labels[b] = chunk.Labels[offset];
            chunk.Features.AsSpan(offset * values, values).CopyTo(features.Slice(b * values, values));
        }
        return (x, y);
    }

    public IEnumerable<long[]> EvaluationBatches(int batchSize) => ClassificationData.InOrder(Count, batchSize);

    public void Dispose() { }

    private sealed record DecodedChunk(float[] Features, long[] Labels);

    private DecodedChunk Decoded(int index)
    {
        var chunk = _split.Chunks[index];
        return _chunks.Get(chunk, bytes => Decode(bytes, chunk.Examples), chunk.Examples * (8 + 4 * _values));
    }

    /// <summary>
    /// Records of a little-endian int32 label and the features (<see cref="DatasetManifest.RecordBytes"/>): float32
    /// values, or bytes normalised as the IDX reader normalises them (<see cref="FeatureEncoding"/>).
    /// </summary>
    private DecodedChunk Decode(byte[] bytes, int examples)
    {
        var features = new float[examples * _values];
        var labels = new long[examples];
        var encoding = _split.Features;
        var record = (int)(4 + DatasetManifest.BytesPerValue(encoding) * _values);
        var scale = encoding == FeatureEncoding.IdxBytesOver255 ? IdxReader.Scale(255f) : IdxReader.Scale(1f);
        for (var e = 0; e < examples; e++)
        {
            var span = bytes.AsSpan(e * record, record);
            labels[e] = BinaryPrimitives.ReadInt32LittleEndian(span);
            if (labels[e] < 0 || labels[e] >= Shape.Classes)
                throw new PackedDataException(
                    $"a chunk of this dataset holds label {labels[e]}, " +
                    $"outside its {Shape.Classes} classes; pack it again");
            if (encoding != FeatureEncoding.Float32)
                for (var i = 0; i < _values; i++)
                    features[e * _values + i] = IdxReader.Normalise(span[4 + i], scale);
            else
                for (var i = 0; i < _values; i++)
                    features[e * _values + i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 + 4 * i)..]);
        }
        return new DecodedChunk(features, labels);
    }
}

using System.Buffers.Binary;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Packs one split's examples, as they stream by, into chunks of a fixed number of examples: when a chunk is full it is
/// hashed and handed to the sink (unless the sink has it), and only its entry is kept. Holds one chunk at a time.
/// </summary>
public sealed class ChunkWriter
{
    private readonly IChunkSink _sink;
    private readonly long _recordBytes;
    private readonly byte[] _buffer;
    private readonly List<ChunkRef> _chunks = [];
    private int _filled;
    private long _examples;

    /// <exception cref="DatasetException">One example is larger than a chunk may be.</exception>
    public ChunkWriter(IChunkSink sink, long recordBytes, int targetChunkBytes, PackedDataSettings settings)
    {
        if (recordBytes > settings.MaxChunkBytes)
            throw new DatasetException($"one example takes {recordBytes:N0} bytes, more than a chunk may hold " +
                                       $"({settings.MaxChunkBytes:N0}, " +
                                       $"gensyn.datasets.max-chunk-size); use smaller examples");
        _sink = sink;
        _recordBytes = recordBytes;
        var most = Math.Min(int.MaxValue, settings.MaxChunkBytes / recordBytes);
        ExamplesPerChunk = (int)Math.Clamp(targetChunkBytes / recordBytes, 1, most);
        _buffer = new byte[ExamplesPerChunk * recordBytes];
    }

    public int ExamplesPerChunk { get; }

    /// <summary>Adds a classification example: a little-endian int32 label, then the features as little-endian
    /// float32.</summary>
    public void Add(long label, ReadOnlySpan<float> features)
    {
        var record = _buffer.AsSpan((int)(_filled * _recordBytes), (int)_recordBytes);
        BinaryPrimitives.WriteInt32LittleEndian(record, checked((int)label));
        for (var i = 0; i < features.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(record[(4 + 4 * i)..], features[i]);
        Advance(1);
    }

    /// <summary>Adds a classification example whose features are stored one byte each
    /// (<see cref="FeatureEncoding.IdxBytes"/>): a little-endian int32 label, then the bytes.</summary>
    public void Add(long label, ReadOnlySpan<byte> features)
    {
        var record = _buffer.AsSpan((int)(_filled * _recordBytes), (int)_recordBytes);
        BinaryPrimitives.WriteInt32LittleEndian(record, checked((int)label));
        features.CopyTo(record[4..]);
        Advance(1);
    }

    /// <summary>Adds text: each byte is one example.</summary>
    public void AddBytes(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            var n = Math.Min(bytes.Length, ExamplesPerChunk - _filled);
            bytes[..n].CopyTo(_buffer.AsSpan(_filled, n));
            bytes = bytes[n..];
            Advance(n);
        }
    }

    /// <summary>The split: every example added, the last chunk written.</summary>
    public PackedSplit Finish(int classes, FeatureEncoding features = FeatureEncoding.Float32)
    {
        if (_filled > 0) Flush();
        return new PackedSplit(_examples, classes, ExamplesPerChunk, _chunks.ToList(), features);
    }

    private void Advance(int examples)
    {
        _filled += examples;
        _examples += examples;
        if (_filled == ExamplesPerChunk) Flush();
    }

    private void Flush()
    {
        var bytes = _buffer.AsSpan(0, (int)(_filled * _recordBytes));
        var hash = Sha256Digest.Of(bytes);
        if (!_sink.Has(hash)) _sink.Write(hash, bytes);
        _chunks.Add(new ChunkRef(hash, _filled, bytes.Length));
        _filled = 0;
    }
}

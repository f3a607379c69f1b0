using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Gensyn.Contracts;

namespace Gensyn.Training.State;

/// <summary>
/// The canonical bytes of a training state, which its digest hashes: for each tensor in ordinal name
/// order, the UTF-8 name (u32 length + bytes), the rank (u32) and dimensions (i64 each), then the raw
/// little-endian float32 values; finally the step counter (i64). All integers little-endian.
/// <see cref="StateDigest"/> turns these bytes into the state digest.
/// The layout is computed once per set of shapes, so per-step hashing only copies values.
/// </summary>
public sealed class CanonicalLayout
{
    private readonly byte[] _template;
    private readonly int[] _valueOffsets;
    private readonly int[] _valueLengths;

    private CanonicalLayout(byte[] template, int[] valueOffsets, int[] valueLengths)
    {
        _template = template;
        _valueOffsets = valueOffsets;
        _valueLengths = valueLengths;
    }

    /// <summary>Total bytes of the canonical form.</summary>
    public int Size => _template.Length;

    /// <param name="tensors">Names and shapes, already in ordinal name order.</param>
    public static CanonicalLayout For(IReadOnlyList<(string Name, long[] Shape)> tensors)
    {
        for (var i = 1; i < tensors.Count; i++)
            if (string.CompareOrdinal(tensors[i - 1].Name, tensors[i].Name) >= 0)
                throw new ArgumentException("tensors must be in strictly increasing ordinal name order");
        using var header = new MemoryStream();
        var offsets = new int[tensors.Count];
        var lengths = new int[tensors.Count];
        Span<byte> word = stackalloc byte[8];
        for (var i = 0; i < tensors.Count; i++)
        {
            var (name, shape) = tensors[i];
            var nameBytes = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)nameBytes.Length);
            header.Write(word[..4]);
            header.Write(nameBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)shape.Length);
            header.Write(word[..4]);
            long count = 1;
            foreach (var d in shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(word, d);
                header.Write(word);
                count *= d;
            }
            offsets[i] = (int)header.Length;
            lengths[i] = checked((int)(count * sizeof(float)));
            header.SetLength(header.Length + lengths[i]);
            header.Position = header.Length;
        }
        header.Write(new byte[8]);
        return new CanonicalLayout(header.ToArray(), offsets, lengths);
    }

    /// <summary>A buffer holding the headers; the trainer copies each step's values into it, then digests it.</summary>
    public byte[] NewBuffer() => (byte[])_template.Clone();

    /// <summary>Writes the step counter into the last 8 bytes of a buffer.</summary>
    public static void WriteStep(byte[] buffer, long step) =>
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(buffer.Length - 8), step);

    /// <summary>Where tensor i's values sit in the buffer, for writers that copy straight from native memory.</summary>
    public (int Offset, int Length) ValueRange(int i) => (_valueOffsets[i], _valueLengths[i]);

    /// <summary>The canonical bytes of these values, assembled in one new buffer.</summary>
    public byte[] Write(IReadOnlyList<ReadOnlyMemory<float>> values, long step)
    {
        var buffer = NewBuffer();
        for (var i = 0; i < _valueOffsets.Length; i++)
        {
            var bytes = MemoryMarshal.AsBytes(values[i].Span);
            if (bytes.Length != _valueLengths[i])
                throw new ArgumentException($"tensor {i} has {bytes.Length} bytes, layout expects {_valueLengths[i]}");
            bytes.CopyTo(buffer.AsSpan(_valueOffsets[i]));
        }
        WriteStep(buffer, step);
        return buffer;
    }

    /// <summary>
    /// The state digest (<see cref="StateDigest"/>) of the canonical bytes of these values, read piece by piece
    /// (headers, each tensor's values, the step), so no copy of the state is assembled.
    /// </summary>
    /// <param name="parallelism">Threads hashing chunks; null: <see cref="StateDigest.DefaultParallelism"/>.</param>
    public Sha256Digest Digest(IReadOnlyList<ReadOnlyMemory<float>> values, long step, int? parallelism = null)
    {
        var pieces = new List<StateDigest.Piece>(2 * _valueOffsets.Length + 1);
        var position = 0;
        for (var i = 0; i < _valueOffsets.Length; i++)
        {
            pieces.Add(new StateDigest.Piece(_template.AsMemory(position, _valueOffsets[i] - position)));
            var bytes = (long)values[i].Length * sizeof(float);
            if (bytes != _valueLengths[i])
                throw new ArgumentException($"tensor {i} has {bytes} bytes, layout expects {_valueLengths[i]}");
            pieces.Add(new StateDigest.Piece(values[i]));
            position = _valueOffsets[i] + _valueLengths[i];
        }
        var word = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(word, step);
        pieces.Add(new StateDigest.Piece(word));
        return StateDigest.Of(pieces, parallelism);
    }
}

using System.Buffers.Binary;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Training.Outer;

/// <summary>
/// The bytes one tensor of the outer step travels as, and back. A pure function of its input: the same floats give
/// the same bytes on every machine, so whoever holds the input (the coordinator, a verifier, `gensyn train`)
/// recomputes a payload bit for bit. The format, little-endian:
/// <list type="bullet">
/// <item>byte 0: the codec (0 none, 1 fp16, 2 int8); byte 1: 1 when sparse.</item>
/// <item>sparse: the kept count (uint32), then each kept index as an unsigned LEB128 gap from the one before (the
/// first from −1), then the kept values encoded dense.</item>
/// <item>dense none: float32 each; fp16: IEEE binary16 each (round to nearest even); int8: per block of
/// <see cref="BlockSize"/> values a float32 scale s = max|x| / 127 and one signed byte each,
/// q = clamp(round-half-even(x / s), −127, 127), decoded as q · s (s = 0 when the block is all zero).</item>
/// </list>
/// Int8 and fp16 read a non-finite value as 0, so no platform's float-to-integer conversion of NaN decides a byte.
/// </summary>
public static class OuterCodec
{
    /// <summary>Values per int8 scale: 256 floats share one float32 scale (1.6% overhead).</summary>
    public const int BlockSize = 256;

    private const float Levels = 127f;

    /// <summary>The entries top-k keeps of <paramref name="count"/>: fraction · count rounded to the nearest
    /// (halves up), at least one; all of them when <paramref name="fraction"/> is 0.</summary>
    public static int Kept(int count, double fraction) =>
        fraction <= 0 ? count : Math.Clamp((int)Math.Floor(fraction * count + 0.5), 1, count);

    public static byte[] Encode(ReadOnlySpan<float> values, OuterCompressionKind kind, double topK = 0)
    {
        var stream = new MemoryStream();
        stream.WriteByte((byte)kind);
        var keep = Kept(values.Length, topK);
        if (keep == values.Length)
        {
            stream.WriteByte(0);
            WriteDense(stream, values, kind);
            return stream.ToArray();
        }
        stream.WriteByte(1);
        var indices = Largest(values, keep);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)keep);
        stream.Write(word);
        var kept = new float[keep];
        var previous = -1;
        for (var i = 0; i < keep; i++)
        {
            WriteLeb128(stream, (uint)(indices[i] - previous));
            previous = indices[i];
            kept[i] = values[indices[i]];
        }
        WriteDense(stream, kept, kind);
        return stream.ToArray();
    }

    /// <summary>The <paramref name="count"/> values <paramref name="payload"/> encodes (zeros where top-k dropped
    /// them).</summary>
    public static float[] Decode(ReadOnlySpan<byte> payload, int count)
    {
        if (payload.Length < 2 || payload[0] > (byte)OuterCompressionKind.Int8 || payload[1] > 1)
            throw new InvalidDataException("an outer payload has no valid header");
        var kind = (OuterCompressionKind)payload[0];
        var result = new float[count];
        if (payload[1] == 0)
        {
            ReadDense(payload[2..], kind, result);
            return result;
        }
        if (payload.Length < 6) throw new InvalidDataException("a sparse outer payload lacks its count");
        var keep = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[2..]);
        if (keep < 0 || keep > count) throw new InvalidDataException($"a sparse outer payload keeps {keep} of {count}");
        var offset = 6;
        var indices = new int[keep];
        long index = -1;
        for (var i = 0; i < keep; i++)
        {
            index += ReadLeb128(payload, ref offset);
            if (index >= count)
                throw new InvalidDataException($"a sparse outer payload names index {index} of {count}");
            indices[i] = (int)index;
        }
        var kept = new float[keep];
        ReadDense(payload[offset..], kind, kept);
        for (var i = 0; i < keep; i++) result[indices[i]] = kept[i];
        return result;
    }

    /// <summary>The indices of the <paramref name="keep"/> largest |x|, ties to the lower index, in ascending
    /// order. A non-finite value counts as the smallest.</summary>
    private static int[] Largest(ReadOnlySpan<float> values, int keep)
    {
        var magnitude = new float[values.Length];
        for (var i = 0; i < values.Length; i++) magnitude[i] = float.IsFinite(values[i]) ? MathF.Abs(values[i]) : -1f;
        var order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) =>
            magnitude[a] != magnitude[b] ? magnitude[b].CompareTo(magnitude[a]) : a.CompareTo(b));
        var chosen = order[..keep];
        Array.Sort(chosen);
        return chosen;
    }

    private static void WriteDense(Stream stream, ReadOnlySpan<float> values, OuterCompressionKind kind)
    {
        switch (kind)
        {
            case OuterCompressionKind.None:
                var raw = new byte[values.Length * 4];
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
                stream.Write(raw);
                break;
            case OuterCompressionKind.Fp16:
                var half = new byte[values.Length * 2];
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(i * 2), (Half)Finite(values[i]));
                stream.Write(half);
                break;
            default:
                Span<byte> scaleBytes = stackalloc byte[4];
                for (var start = 0; start < values.Length; start += BlockSize)
                {
                    var block = values.Slice(start, Math.Min(BlockSize, values.Length - start));
                    var max = 0f;
                    foreach (var v in block) max = MathF.Max(max, MathF.Abs(Finite(v)));
                    var scale = max / Levels;
                    BinaryPrimitives.WriteSingleLittleEndian(scaleBytes, scale);
                    stream.Write(scaleBytes);
                    var q = new byte[block.Length];
                    if (scale > 0)
                        for (var i = 0; i < block.Length; i++)
                            q[i] = (byte)(sbyte)Math.Clamp(
                                MathF.Round(Finite(block[i]) / scale, MidpointRounding.ToEven), -Levels, Levels);
                    stream.Write(q);
                }
                break;
        }
    }

    private static void ReadDense(ReadOnlySpan<byte> bytes, OuterCompressionKind kind, Span<float> into)
    {
        var n = into.Length;
        var expected = kind switch
        {
            OuterCompressionKind.None => 4L * n,
            OuterCompressionKind.Fp16 => 2L * n,
            _ => n + 4L * ((n + BlockSize - 1) / BlockSize),
        };
        if (bytes.Length != expected)
            throw new InvalidDataException(
                $"an outer payload holds {bytes.Length} bytes of values, {expected} expected");
        switch (kind)
        {
            case OuterCompressionKind.None:
                for (var i = 0; i < n; i++) into[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                break;
            case OuterCompressionKind.Fp16:
                for (var i = 0; i < n; i++) into[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                break;
            default:
                var offset = 0;
                for (var start = 0; start < n; start += BlockSize)
                {
                    var length = Math.Min(BlockSize, n - start);
                    var scale = BinaryPrimitives.ReadSingleLittleEndian(bytes[offset..]);
                    offset += 4;
                    for (var i = 0; i < length; i++) into[start + i] = (sbyte)bytes[offset + i] * scale;
                    offset += length;
                }
                break;
        }
    }

    private static float Finite(float value) => float.IsFinite(value) ? value : 0f;

    private static void WriteLeb128(Stream stream, uint value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }

    private static uint ReadLeb128(ReadOnlySpan<byte> bytes, ref int offset)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (offset >= bytes.Length) throw new InvalidDataException("a sparse outer payload ends inside an index");
            var b = bytes[offset++];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("a sparse outer payload has an index longer than five bytes");
    }
}

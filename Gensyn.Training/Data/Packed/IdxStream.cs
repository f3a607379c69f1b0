using System.Buffers.Binary;
using System.IO.Compression;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// An IDX file (see <see cref="IdxReader"/>) read value by value, gzip or not, so that packing never holds the file:
/// its header is read on opening, its values as they are asked for, and what follows the last value is refused.
/// </summary>
public sealed class IdxStream : IDisposable
{
    private readonly Stream _stream;
    private readonly string _shown;
    private readonly byte _type;
    private readonly int _elementSize;
    private readonly long _expectedBytes;
    private byte[] _buffer = [];
    private long _consumed;

    private IdxStream(Stream stream, string shown, byte type, int elementSize, int[] dimensions)
    {
        _stream = stream;
        _shown = shown;
        _type = type;
        _elementSize = elementSize;
        Dimensions = dimensions;
        Values = dimensions.Aggregate(1L, (a, d) => a * d);
        _consumed = 4 + 4 * dimensions.Length;
        _expectedBytes = _consumed + Values * elementSize;
    }

    public int[] Dimensions { get; }

    /// <summary>Values in the file: the product of its dimensions.</summary>
    public long Values { get; }

    public int Count => Dimensions[0];

    /// <summary>Whether the values are unsigned bytes (IDX type 0x08), which <see cref="Read"/> gives as exact
    /// floats.</summary>
    public bool UnsignedBytes => _type == 0x08;

    /// <exception cref="DatasetException">Missing, unreadable, not IDX, or a corrupt header.</exception>
    public static IdxStream Open(DatasetFiles.Located file)
    {
        bool gzip;
        using (var probe = RegularFileStream.Open(file.Path, file.Shown))
        {
            Span<byte> magic = stackalloc byte[2];
            gzip = probe.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        }
        Stream stream = RegularFileStream.Open(file.Path, file.Shown);
        if (gzip) stream = new GZipStream(stream, CompressionMode.Decompress);
        stream = new BufferedStream(stream, 1 << 16);
        try
        {
            return ReadHeader(stream, file.Shown);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static IdxStream ReadHeader(Stream stream, string path)
    {
        var head = new byte[4];
        var got = ReadFully(stream, head, path);
        if (got < 4) throw new DatasetException($"{path}: truncated IDX file ({got} bytes, no header); re-download it");
        if (head[0] != 0 || head[1] != 0)
            throw new DatasetException($"{path}: not an IDX file (it does not start " +
                                       $"with the IDX magic number); check the path");
        var elementSize = head[2] switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new DatasetException($"{path}: not an IDX file (unknown element " +
                                            $"type in the magic number); check the path"),
        };
        int rank = head[3];
        if (rank == 0) throw new DatasetException($"{path}: IDX header declares 0 dimensions; the file is corrupt");
        var sizes = new byte[4 * rank];
        got = ReadFully(stream, sizes, path);
        if (got < sizes.Length)
            throw new DatasetException($"{path}: truncated IDX file (header needs {4 + sizes.Length} bytes, file has " +
                                       $"{4 + got}); re-download it");
        var dims = new int[rank];
        for (var d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * d));
            if (dims[d] <= 0) throw new DatasetException($"{path}: IDX dimension {d} has " +
                                                         $"size {dims[d]}; the file is corrupt");
        }
        return new IdxStream(stream, path, head[2], elementSize, dims);
    }

    /// <summary>Fills <paramref name="values"/> with the next values of the file.</summary>
    /// <exception cref="DatasetException">The file ends first.</exception>
    public void Read(Span<float> values)
    {
        var bytes = values.Length * _elementSize;
        if (_buffer.Length < bytes) _buffer = new byte[bytes];
        var got = ReadFully(_stream, _buffer.AsSpan(0, bytes), _shown);
        if (got < bytes)
            throw new DatasetException($"{_shown}: truncated IDX file (expected " +
                                       $"{_expectedBytes} bytes for dimensions " +
                                       $"{string.Join('x', Dimensions)}, got {_consumed + got}); re-download it");
        _consumed += got;
        var b = _buffer.AsSpan(0, bytes);
        for (var i = 0; i < values.Length; i++)
        {
            var at = b[(i * _elementSize)..];
            values[i] = _type switch
            {
                0x08 => at[0],
                0x09 => (sbyte)at[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(at),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(at),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(at),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(at),
            };
        }
    }

    /// <summary>Refuses a file with bytes after its last value (call once every value has been read).</summary>
    public void CheckEnd()
    {
        var extra = 0L;
        var scratch = new byte[8192];
        int n;
        while ((n = ReadFully(_stream, scratch, _shown)) > 0) extra += n;
        if (extra > 0)
            throw new DatasetException($"{_shown}: {extra} unexpected bytes after the IDX data (dimensions " +
                                       $"{string.Join('x', Dimensions)}); the file is corrupt");
    }

    private static int ReadFully(Stream stream, Span<byte> into, string shown)
    {
        try
        {
            return stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException)
        {
            throw new DatasetException($"{shown}: corrupt gzip data; re-download it");
        }
    }

    public void Dispose() => _stream.Dispose();
}

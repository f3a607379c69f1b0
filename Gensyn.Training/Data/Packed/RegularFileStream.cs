namespace Gensyn.Training.Data.Packed;

/// <summary>
/// A data file read as a stream of exactly the size it had when opened: a device, a pipe or a /proc file (which reads
/// past its size) and a file that grows or shrinks while it is packed are refused, so packing never reads without end.
/// </summary>
public sealed class RegularFileStream : Stream
{
    private readonly FileStream _file;
    private readonly string _shown;
    private long _read;

    private RegularFileStream(FileStream file, string shown)
    {
        _file = file;
        _shown = shown;
        Size = file.Length;
    }

    /// <exception cref="DatasetException">Missing or unreadable.</exception>
    public static RegularFileStream Open(string path, string shown)
    {
        if (!File.Exists(path)) throw new DatasetException($"{shown}: file not found; check " +
                                                           $"the dataset path in the job spec");
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            return new RegularFileStream(file, shown);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{shown}: cannot read the data file " +
                                       $"({e.GetType().Name}); check its permissions");
        }
    }

    /// <summary>The file's size when it was opened: all this stream gives.</summary>
    public long Size { get; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        int n;
        try
        {
            if (_read == Size)
            {
                if (_file.ReadByte() >= 0)
                    throw new DatasetException(
                        $"{_shown}: not a regular file, or it grew while " +
                        $"being read (it reads past its size); give a data file");
                return 0;
            }
            n = _file.Read(buffer[..(int)Math.Min(buffer.Length, Size - _read)]);
            if (n == 0)
                throw new DatasetException(
                    $"{_shown}: shrank from {Size:N0} bytes while being read; leave the file alone while packing");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{_shown}: cannot read the data file " +
                                       $"({e.GetType().Name}); check its permissions");
        }
        _read += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => Size;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}

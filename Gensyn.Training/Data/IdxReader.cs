using System.Buffers.Binary;
using System.IO.Compression;

namespace Gensyn.Training.Data;

/// <summary>
/// Reads IDX files (the MNIST format): two zero bytes, a type code, a dimension count, big-endian
/// dimension sizes, then the values. Gzip-compressed files are read transparently.
/// </summary>
public static class IdxReader
{
    /// <summary>An IDX array: its dimensions and its values as floats, row-major.</summary>
    public sealed record IdxArray(int[] Dimensions, float[] Values)
    {
        public int Count => Dimensions[0];
    }

    /// <param name="shown">How messages name the file (default: <paramref name="path"/>).</param>
    public static IdxArray Read(string path, string? shown = null)
    {
        var bytes = ReadAllBytes(path, shown ??= path);
        path = shown;
        if (bytes.Length < 4)
            throw new DatasetException($"{path}: truncated IDX file ({bytes.Length} bytes, no header); re-download it");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DatasetException($"{path}: not an IDX file (it does not start with the IDX magic number); check the path");
        var (elementSize, decode) = bytes[2] switch
        {
            0x08 => (1, (Func<byte[], int, float>)((b, o) => b[o])),
            0x09 => (1, (b, o) => (sbyte)b[o]),
            0x0B => (2, (b, o) => BinaryPrimitives.ReadInt16BigEndian(b.AsSpan(o))),
            0x0C => (4, (b, o) => BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(o))),
            0x0D => (4, (b, o) => BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(o))),
            0x0E => (8, (b, o) => (float)BinaryPrimitives.ReadDoubleBigEndian(b.AsSpan(o))),
            _ => throw new DatasetException($"{path}: not an IDX file (unknown element type in the magic number); check the path"),
        };
        int rank = bytes[3];
        if (rank == 0)
            throw new DatasetException($"{path}: IDX header declares 0 dimensions; the file is corrupt");
        var headerSize = 4 + 4 * rank;
        if (bytes.Length < headerSize)
            throw new DatasetException($"{path}: truncated IDX file (header needs {headerSize} bytes, file has {bytes.Length}); re-download it");
        var dims = new int[rank];
        long total = 1;
        for (var d = 0; d < rank; d++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size <= 0) throw new DatasetException($"{path}: IDX dimension {d} has size {size}; the file is corrupt");
            dims[d] = size;
            total *= size;
        }
        var expected = headerSize + total * elementSize;
        if (bytes.Length < expected)
            throw new DatasetException($"{path}: truncated IDX file (expected {expected} bytes for dimensions {string.Join('x', dims)}, got {bytes.Length}); re-download it");
        if (bytes.Length > expected)
            throw new DatasetException($"{path}: {bytes.Length - expected} unexpected bytes after the IDX data (dimensions {string.Join('x', dims)}); the file is corrupt");
        if (total > int.MaxValue) throw new DatasetException($"{path}: IDX array too large ({total} values)");

        var values = new float[total];
        if (elementSize == 1 && bytes[2] == 0x08)
            for (var i = 0; i < values.Length; i++) values[i] = bytes[headerSize + i];
        else
            for (var i = 0; i < values.Length; i++) values[i] = decode(bytes, headerSize + i * elementSize);
        return new IdxArray(dims, values);
    }

    private static byte[] ReadAllBytes(string path, string shown)
    {
        var raw = DatasetFiles.ReadBytes(path, shown);
        if (raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B)
        {
            try
            {
                // Bounded like a plain file: a small gzip can expand without limit.
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var output = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = gz.Read(buffer)) > 0)
                {
                    if (output.Length + read > DatasetLimits.MaxFileBytes)
                        throw new DatasetException($"{shown}: expands to more than {DatasetLimits.MaxFileBytes:N0} bytes, the limit for a data file");
                    output.Write(buffer, 0, read);
                }
                return output.ToArray();
            }
            catch (InvalidDataException)
            {
                throw new DatasetException($"{shown}: corrupt gzip data; re-download it");
            }
        }
        return raw;
    }

    /// <summary>
    /// Pairs an images file with a labels file: N images of any shape and N integer labels.
    /// Pixel values are scaled to [0, 1] and standardised with MNIST's customary mean and deviation.
    /// </summary>
    public static ClassificationData ReadLabelled(string imagesPath, string labelsPath, string? imagesShown = null, string? labelsShown = null)
    {
        var images = Read(imagesPath, imagesShown ??= imagesPath);
        var labels = Read(labelsPath, labelsShown ??= labelsPath);
        (imagesPath, labelsPath) = (imagesShown, labelsShown);
        if (images.Dimensions.Length < 2)
            throw new DatasetException($"{imagesPath}: expected an images file (at least 2 dimensions), got dimensions {string.Join('x', images.Dimensions)}; did you swap images and labels?");
        if (labels.Dimensions.Length != 1)
            throw new DatasetException($"{labelsPath}: expected a labels file (1 dimension), got dimensions {string.Join('x', labels.Dimensions)}; did you swap images and labels?");
        if (images.Count != labels.Count)
            throw new DatasetException($"{labelsPath}: {labels.Count} labels for {images.Count} images in {imagesPath}; the files do not belong together");

        var labelValues = new long[labels.Count];
        for (var i = 0; i < labelValues.Length; i++) labelValues[i] = Label(labels.Values[i], i, labelsPath);
        var classes = (int)labelValues.Max() + 1;
        var scale = Scale(images.Values.Length == 0 ? 1f : images.Values.Max());
        var features = new float[images.Values.Length];
        for (var i = 0; i < features.Length; i++) features[i] = Normalise(images.Values[i], scale);
        return new ClassificationData(features, labelValues, FeatureShape(images.Dimensions), Math.Max(classes, 2));
    }

    /// <summary>Label <paramref name="index"/> of a labels file, whose value is <paramref name="value"/>.</summary>
    /// <exception cref="DatasetException">Not a small non-negative integer.</exception>
    public static long Label(float value, long index, string labelsShown) =>
        value < 0 || value != MathF.Floor(value) || value > 100_000
            ? throw new DatasetException($"{labelsShown}: label {index} is {value}; labels must be small " +
                                         $"non-negative integers")
            : (long)value;

    /// <summary>
    /// The factor pixel values are scaled by, given the largest one
    /// (as <see cref="Enumerable.Max(IEnumerable{float})"/>
    /// finds it: NaN skipped).
    /// </summary>
    public static float Scale(float max) => max > 1f ? 1f / 255f : 1f;

    /// <summary>A pixel value scaled to [0, 1] and standardised with <see cref="MnistNormalisation"/>.</summary>
    public static float Normalise(float value, float scale) =>
        (value * scale - MnistNormalisation.Mean) / MnistNormalisation.Std;

    /// <summary>One image's feature shape: a vector for 2-dimensional files, one channel of the rest
    /// otherwise.</summary>
    public static long[] FeatureShape(int[] dimensions) => dimensions.Length == 2
        ? [dimensions[1]]
        : [1, .. dimensions.Skip(1).Select(d => (long)d)];

    /// <summary>The customary MNIST pixel statistics.</summary>
    public static readonly (float Mean, float Std) MnistNormalisation = (0.1307f, 0.3081f);
}

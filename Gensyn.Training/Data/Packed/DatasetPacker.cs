using System.Text;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Training.Data.Packed;

/// <summary>A packed dataset: its manifest, the digest that names it, and the bytes of its chunks.</summary>
public sealed record PackedResult(DatasetManifest Manifest, Sha256Digest Digest, long ChunkBytes);

/// <summary>
/// Packs a job's dataset (mnist, or files in idx, csv or text format) into its canonical form
/// (docs/concepts/datasets.md): the examples <see cref="DatasetLoader.Load"/> would give, in order, in chunks written
/// to a sink, and a manifest, written there too under its digest. The files are streamed (twice for IDX images: once
/// for the largest pixel value that sets their scale), so memory holds one chunk, not the dataset.
/// </summary>
public static class DatasetPacker
{
    /// <param name="targetChunkBytes">The canonical size is <see cref="DatasetManifest.TargetChunkBytes"/>; another
    /// size gives another digest (tests use small ones to make many chunks of little data).</param>
    /// <exception cref="DatasetException">A file cannot be read or used; the message names it.</exception>
    public static PackedResult Pack(JobSpec spec, string dataDirectory, IChunkSink sink, PackedDataSettings settings,
                                    int targetChunkBytes = DatasetManifest.TargetChunkBytes)
    {
        var d = spec.Dataset;
        var files = new DatasetFiles(dataDirectory);
        var packer = new Splits(sink, settings, targetChunkBytes);
        var manifest = d.Format switch
        {
            DatasetFormat.Mnist => PackIdx(packer, MnistFiles(dataDirectory)),
            DatasetFormat.Idx => PackIdx(packer, [files.Locate(d.TrainImages!), files.Locate(d.TrainLabels!),
                                                  files.Locate(d.TestImages!), files.Locate(d.TestLabels!)]),
            DatasetFormat.Csv => PackCsv(packer, files.Locate(d.TrainCsv!), files.Locate(d.TestCsv!), d.LabelColumn),
            DatasetFormat.Text => PackText(packer, d, files, spec.Model.Context),
            _ => throw new DatasetException(
                $"dataset {d.Name ?? d.Format.ToString()} is generated on " +
                $"every machine from the job's seed; it has no files to pack"),
        };
        var bytes = ManifestCodec.Encode(manifest);
        if (bytes.Length > settings.MaxManifestBytes)
            throw new DatasetException($"the dataset's manifest takes {bytes.Length:N0} bytes, over the limit of " +
                                       $"{settings.MaxManifestBytes:N0} " +
                                       $"(gensyn.datasets.max-manifest-size); split the dataset");
        if (ManifestRules.Problem(manifest, settings) is { } problem)
            throw new DatasetException($"the packed dataset breaks a rule: {problem}");
        var digest = Sha256Digest.Of(bytes);
        if (!sink.Has(digest)) sink.Write(digest, bytes);
        return new PackedResult(manifest, digest, manifest.AllChunks.Sum(c => c.Bytes));
    }

    private sealed record Splits(IChunkSink Sink, PackedDataSettings Settings, int TargetChunkBytes)
    {
        public ChunkWriter Writer(long recordBytes) => new(Sink, recordBytes, TargetChunkBytes, Settings);
    }

    private static DatasetFiles.Located[] MnistFiles(string dataDirectory)
    {
        var dir = DatasetLoader.MnistDirectory(dataDirectory);
        if (!File.Exists(Path.Combine(dir, DatasetLoader.MnistFiles[0])))
            throw new DatasetException($"{dir}: MNIST is not installed; run ./gensyn " +
                                       $"setup (or any ./gensyn command) to fetch it");
        return DatasetLoader.MnistFiles
            .Select(f => new DatasetFiles.Located(Path.Combine(dir, f), $"{DataPaths.NetworkRoot}/mnist/{f}"))
            .ToArray();
    }

    /// <param name="located">Train images, train labels, test images, test labels.</param>
    private static DatasetManifest PackIdx(Splits packer, DatasetFiles.Located[] located)
    {
        var (train, shape) = PackIdxSplit(packer, located[0], located[1]);
        var (test, testShape) = PackIdxSplit(packer, located[2], located[3]);
        if (!testShape.SequenceEqual(shape))
            throw new DatasetException($"{located[2].Shown}: image shape " +
                                       $"{string.Join('x', testShape)} differs from the " +
                                       $"training images' {string.Join('x', shape)}; the files do not belong together");
        return new DatasetManifest(PackedKind.Classification, shape, train, test);
    }

    private static (PackedSplit Split, long[] Shape) PackIdxSplit(Splits packer, DatasetFiles.Located images,
                                                                  DatasetFiles.Located labels)
    {
        int[] dims;
        bool bytes;
        var max = float.NaN; // Enumerable.Max's rule, as the in-memory reader applies it: NaN values are skipped.
        using (var first = IdxStream.Open(images))
        using (var labelHeader = IdxStream.Open(labels))
        {
            dims = first.Dimensions;
            bytes = first.UnsignedBytes;
            if (dims.Length < 2)
                throw new DatasetException($"{images.Shown}: expected an images file " +
                                           $"(at least 2 dimensions), got dimensions " +
                                           $"{string.Join('x', dims)}; did you swap images and labels?");
            if (labelHeader.Dimensions.Length != 1)
                throw new DatasetException($"{labels.Shown}: expected a labels file (1 dimension), got dimensions " +
                                           $"{string.Join('x', labelHeader.Dimensions)}; " +
                                           $"did you swap images and labels?");
            if (first.Count != labelHeader.Count)
                throw new DatasetException($"{labels.Shown}: {labelHeader.Count} labels for {first.Count} images in " +
                                           $"{images.Shown}; the files do not belong together");
            var row = new float[first.Values / first.Count];
            for (var i = 0; i < first.Count; i++)
            {
                first.Read(row);
                foreach (var v in row)
                    if (float.IsNaN(max) || v > max) max = v;
            }
            first.CheckEnd();
        }
        var scale = IdxReader.Scale(max);
        var shape = IdxReader.FeatureShape(dims);
        var pixelsPerImage = dims.Skip(1).Aggregate(1L, (a, x) => a * x);
        // Images of bytes keep their bytes (a quarter of the float32 size); readers apply the same normalisation.
        var encoding = !bytes ? FeatureEncoding.Float32
            : scale == 1f ? FeatureEncoding.IdxBytes : FeatureEncoding.IdxBytesOver255;
        var writer = packer.Writer(DatasetManifest.RecordBytesOf(PackedKind.Classification, pixelsPerImage, encoding));
        long maxLabel = 0;
        using (var pixels = IdxStream.Open(images))
        using (var labelValues = IdxStream.Open(labels))
        {
            var row = new float[pixels.Values / pixels.Count];
            var raw = new byte[bytes ? row.Length : 0];
            var label = new float[1];
            for (var i = 0; i < pixels.Count; i++)
            {
                pixels.Read(row);
                labelValues.Read(label);
                var value = IdxReader.Label(label[0], i, labels.Shown);
                maxLabel = Math.Max(maxLabel, value);
                if (bytes)
                {
                    for (var v = 0; v < row.Length; v++) raw[v] = (byte)row[v];
                    writer.Add(value, raw);
                    continue;
                }
                for (var v = 0; v < row.Length; v++) row[v] = IdxReader.Normalise(row[v], scale);
                writer.Add(value, row);
            }
            labelValues.CheckEnd();
        }
        return (writer.Finish(Math.Max((int)maxLabel + 1, 2), encoding), shape);
    }

    private static DatasetManifest PackCsv(Splits packer, DatasetFiles.Located train, DatasetFiles.Located test,
                                           int labelColumn)
    {
        var (trainSplit, features) = PackCsvSplit(packer, train, labelColumn, expectedFeatures: null);
        var (testSplit, _) = PackCsvSplit(packer, test, labelColumn, features);
        return new DatasetManifest(PackedKind.Classification, [features], trainSplit, testSplit);
    }

    private static (PackedSplit Split, int Features) PackCsvSplit(
        Splits packer, DatasetFiles.Located file, int labelColumn, int? expectedFeatures)
    {
        var rows = new CsvRows(labelColumn, file.Shown);
        ChunkWriter? writer = null;
        long maxLabel = -1;
        // As the in-memory reader decodes the file: UTF-8, a byte-order mark kept as a character.
        using (var reader = new StreamReader(RegularFileStream.Open(file.Path, file.Shown), new UTF8Encoding(false),
                                             detectEncodingFromByteOrderMarks: false))
        {
            foreach (var (label, features) in rows.Read(reader))
            {
                if (writer is null)
                {
                    rows.CheckFeatures(expectedFeatures);
                    writer = packer.Writer(DatasetManifest.RecordBytesOf(PackedKind.Classification, features.Length));
                }
                maxLabel = Math.Max(maxLabel, label);
                writer.Add(label, features);
            }
        }
        if (writer is null) throw new DatasetException($"{file.Shown}: no data rows; the file is empty");
        return (writer.Finish(CsvRows.Classes(maxLabel)), rows.Features!.Value);
    }

    private static DatasetManifest PackText(Splits packer, DatasetSpec d, DatasetFiles files, int context)
    {
        var located = d.TextPaths.Select(files.Locate).ToList();
        var found = TextCorpusReader.Files(located, d.TextInclude);
        // The corpus' length first (each file, and a newline after one that lacks it), to know where the test split
        // starts.
        var sizes = new List<(DatasetFiles.Located File, long Size, bool AddNewline)>();
        foreach (var file in found)
        {
            if (file.Path != file.Shown) files.CheckInside(file.Path, file.Shown);
            sizes.Add(SizeOf(file));
        }
        var total = sizes.Sum(s => s.Size + (s.AddNewline ? 1 : 0));
        var testBytes = (long)(total * d.TestFraction);
        if (testBytes < context + 1 || total - testBytes < context + 1)
            throw new DatasetException($"{string.Join(", ", located.Select(l => l.Shown))}: corpus of {total} bytes " +
                                       $"is too small " +
                                       $"for context {context} with test-fraction {d.TestFraction}; add text or " +
                                       $"lower model.context");
        var train = packer.Writer(1);
        var test = packer.Writer(1);
        var written = 0L;
        var buffer = new byte[1 << 16];
        void Add(ReadOnlySpan<byte> bytes)
        {
            var toTrain = (int)Math.Clamp(total - testBytes - written, 0, bytes.Length);
            train.AddBytes(bytes[..toTrain]);
            test.AddBytes(bytes[toTrain..]);
            written += bytes.Length;
        }
        foreach (var (file, _, addNewline) in sizes)
        {
            using (var stream = RegularFileStream.Open(file.Path, file.Shown))
            {
                int n;
                while ((n = stream.Read(buffer)) > 0) Add(buffer.AsSpan(0, n));
            }
            if (addNewline) Add("\n"u8);
        }
        if (written != total)
            throw new DatasetException($"{string.Join(", ", located.Select(l => l.Shown))}: the files changed while " +
                                       $"being packed; pack again");
        return new DatasetManifest(PackedKind.Text, [], train.Finish(256), test.Finish(256));
    }

    private static (DatasetFiles.Located, long, bool) SizeOf(DatasetFiles.Located file)
    {
        using var stream = RegularFileStream.Open(file.Path, file.Shown);
        if (stream.Size == 0) return (file, 0, false);
        try
        {
            using var last = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            last.Seek(stream.Size - 1, SeekOrigin.Begin);
            return (file, stream.Size, last.ReadByte() != '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{file.Shown}: cannot read the data file " +
                                       $"({e.GetType().Name}); check its permissions");
        }
    }
}

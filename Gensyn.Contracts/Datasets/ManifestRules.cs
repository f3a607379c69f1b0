namespace Gensyn.Contracts.Datasets;

/// <summary>
/// What makes a manifest usable, checked before any chunk is fetched: an example's shape that fits a chunk, splits
/// whose chunks hold exactly the examples they name (every chunk full but the last), and chunk sizes that agree with
/// the shape. A chunk's bytes are checked against its entry when it is read (<see cref="ChunkCheck"/>).
/// </summary>
public static class ManifestRules
{
    /// <summary>The most dimensions an example's features may have (a vector, or channels × height × width).</summary>
    public const int MaxRank = 4;

    /// <summary>The largest label a classification dataset may hold: the same bound the file readers apply.</summary>
    public const int MaxLabel = 100_000;

    /// <summary>What is wrong with <paramref name="m"/>, in one line, or null.</summary>
    public static string? Problem(DatasetManifest m, PackedDataSettings settings)
    {
        if (m.Kind == PackedKind.Text)
        {
            if (m.FeatureShape.Count != 0) return "a text dataset's shape must be [] (its examples are bytes)";
        }
        else
        {
            if (m.FeatureShape.Count is 0 or > MaxRank)
                return $"shape [{string.Join(',', m.FeatureShape)}] must have 1 to {MaxRank} dimensions";
            if (m.FeatureShape.Any(d => d < 1 || d > settings.MaxChunkBytes))
                return $"shape [{string.Join(',', m.FeatureShape)}] has a dimension below 1 or too large";
            var values = m.FeatureShape.Aggregate(1.0, (a, d) => a * d);
            var perValue = Math.Min(DatasetManifest.BytesPerValue(m.Train.Features),
                DatasetManifest.BytesPerValue(m.Test.Features));
            if (4 + perValue * values > settings.MaxChunkBytes)
                return $"one example of shape [{string.Join(',', m.FeatureShape)}] is larger than a chunk may be " +
                       $"({settings.MaxChunkBytes:N0} bytes, gensyn.datasets.max-chunk-size)";
        }
        return SplitProblem("train", m.Train, m, settings) ?? SplitProblem("test", m.Test, m, settings);
    }

    private static string? SplitProblem(string name, PackedSplit s, DatasetManifest m, PackedDataSettings settings)
    {
        if (s.Examples < 1) return $"{name}: must hold at least one example, names {s.Examples}";
        if (m.Kind == PackedKind.Text ? s.Classes != 256 : s.Classes < 2 || s.Classes > MaxLabel + 1)
            return $"{name}: {s.Classes} classes; a text dataset has 256, a classification one 2 to {MaxLabel + 1}";
        if (s.Features != FeatureEncoding.Float32 && m.Kind != PackedKind.Classification)
            return $"{name}: a text dataset's examples are bytes; it names no feature encoding";
        var record = m.RecordBytes(s);
        if (s.ExamplesPerChunk < 1 || s.ExamplesPerChunk * record > settings.MaxChunkBytes)
            return $"{name}: {s.ExamplesPerChunk} examples per chunk of " +
                   $"{record} bytes each do not fit a chunk of at most " +
                   $"{settings.MaxChunkBytes:N0} bytes (gensyn.datasets.max-chunk-size)";
        var held = s.Chunks.Sum(c => (long)Math.Max(c.Examples, 0));
        if (held != s.Examples)
            return $"{name}: names {s.Examples:N0} examples but its " +
                   $"chunks hold {held:N0}; the manifest is inconsistent";
        for (var i = 0; i < s.Chunks.Count; i++)
        {
            var chunk = s.Chunks[i];
            var expected = i < s.Chunks.Count - 1 ? s.ExamplesPerChunk : s.Examples - (long)i * s.ExamplesPerChunk;
            if (chunk.Examples != expected)
                return $"{name}: chunk {i} holds {chunk.Examples} examples, expected {expected} " +
                       $"(every chunk but the last holds {s.ExamplesPerChunk})";
            if (chunk.Bytes != chunk.Examples * record)
                return $"{name}: chunk {i} has {chunk.Bytes:N0} bytes, but {chunk.Examples} examples of shape " +
                       $"[{string.Join(',', m.FeatureShape)}] take " +
                       $"{chunk.Examples * record:N0}; the shape does not match";
        }
        return null;
    }
}

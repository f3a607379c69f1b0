namespace Gensyn.Contracts.Datasets;

/// <summary>What a packed dataset's examples are: labelled feature arrays, or the bytes of a text corpus.</summary>
public enum PackedKind { Classification, Text }

/// <summary>
/// How a classification split stores an example's features (docs/concepts/datasets.md, "Chunks"):
/// <list type="bullet">
/// <item><see cref="Float32"/>: little-endian float32 values, as decoded.</item>
/// <item><see cref="IdxBytes"/> and <see cref="IdxBytesOver255"/>: one unsigned byte per value, the pixels of an IDX
/// images file of bytes; a reader decodes byte b as the IDX reader does, (b × s − 0.1307) / 0.3081 in float32 with
/// s = 1 or s = 1/255 (the scale the IDX reader takes when the images' largest pixel is above 1).</item>
/// </list>
/// The decoded values are bit for bit those of the float32 packing: only the bytes on the wire and on disk differ.
/// </summary>
public enum FeatureEncoding { Float32, IdxBytes, IdxBytesOver255 }

/// <summary>
/// One chunk of a split: the SHA-256 of its bytes (its name), how many examples it holds and how many bytes it has
/// (always <see cref="Examples"/> times the manifest's record size, so a fetcher knows a chunk's size before asking).
/// </summary>
public sealed record ChunkRef(Sha256Digest Hash, int Examples, long Bytes);

/// <summary>
/// One split (train or test) of a packed dataset: its examples in chunks of <see cref="ExamplesPerChunk"/> each (the
/// last may hold fewer), and the number of classes its labels name (for text: 256, one per byte value).
/// </summary>
public sealed record PackedSplit(long Examples, int Classes, int ExamplesPerChunk, IReadOnlyList<ChunkRef> Chunks,
    FeatureEncoding Features = FeatureEncoding.Float32)
{
    /// <summary>The chunk that holds example <paramref name="example"/>, and the example's place in it.</summary>
    public (int Chunk, int Offset) Locate(long example)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(example);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(example, Examples);
        return ((int)(example / ExamplesPerChunk), (int)(example % ExamplesPerChunk));
    }
}

/// <summary>
/// A dataset in its canonical packed form (docs/concepts/datasets.md): the kind of its examples, the shape of one
/// example's features (empty for text) and its two splits. The SHA-256 of its canonical encoding
/// (<see cref="ManifestCodec"/>) names the dataset: the same files always pack to the same manifest, bit for bit.
/// </summary>
public sealed record DatasetManifest(
    PackedKind Kind, IReadOnlyList<long> FeatureShape, PackedSplit Train, PackedSplit Test)
{
    /// <summary>
    /// The size a chunk is packed to (one example more than fits is the next chunk's; an example larger than this is a
    /// chunk by itself). Part of the canonical form: every packer uses it, so the same files give the same digest.
    /// </summary>
    public const int TargetChunkBytes = 1 << 20;

    /// <summary>Feature values in one example: the product of <see cref="FeatureShape"/> (0 for text).</summary>
    public long FeatureValues => Kind == PackedKind.Text ? 0 : FeatureShape.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>
    /// Bytes one example of <paramref name="split"/> takes in a chunk. Classification: a little-endian int32 label,
    /// then the features row-major, as little-endian float32 values or one byte each (<see cref="FeatureEncoding"/>).
    /// Text: one byte of the corpus.
    /// </summary>
    public long RecordBytes(PackedSplit split) => RecordBytesOf(Kind, FeatureValues, split.Features);

    public static long RecordBytesOf(PackedKind kind, long featureValues,
                                     FeatureEncoding features = FeatureEncoding.Float32) =>
        kind == PackedKind.Text ? 1 : checked(4 + BytesPerValue(features) * featureValues);

    /// <summary>Bytes one feature value takes in a chunk.</summary>
    public static int BytesPerValue(FeatureEncoding features) => features == FeatureEncoding.Float32 ? 4 : 1;

    public IEnumerable<ChunkRef> AllChunks => Train.Chunks.Concat(Test.Chunks);
}

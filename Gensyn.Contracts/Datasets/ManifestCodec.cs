using System.Text.Json;

namespace Gensyn.Contracts.Datasets;

/// <summary>
/// The canonical encoding of a <see cref="DatasetManifest"/>: compact UTF-8 JSON with its keys in a fixed order and
/// integers in plain decimal, e.g.
/// <c>{"format":"gensyn-dataset/1","kind":"classification","shape":[784],"train":{"examples":N,"classes":10,
/// "examples-per-chunk":333,"chunks":[["hex",333,1045620],…]},"test":{…}}</c>. A split whose features are not float32
/// says so after its chunks (<c>"features":"idx-u8/255"</c>; <see cref="FeatureEncoding"/>). A manifest is read only
/// from its canonical bytes (anything else is refused), so one dataset has one digest.
/// </summary>
public static class ManifestCodec
{
    public const string FormatTag = "gensyn-dataset/1";

    public static byte[] Encode(DatasetManifest manifest)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatTag);
            w.WriteString("kind", KindName(manifest.Kind));
            w.WriteStartArray("shape");
            foreach (var d in manifest.FeatureShape) w.WriteNumberValue(d);
            w.WriteEndArray();
            WriteSplit(w, "train", manifest.Train);
            WriteSplit(w, "test", manifest.Test);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The digest that names the dataset: the SHA-256 of <see cref="Encode"/>'s bytes.</summary>
    public static Sha256Digest Digest(DatasetManifest manifest) => Sha256Digest.Of(Encode(manifest));

    /// <summary>
    /// The manifest <paramref name="bytes"/> encode, checked against <see cref="ManifestRules"/> and
    /// <paramref name="settings"/>' limits.
    /// </summary>
    /// <exception cref="PackedDataException">Too large, not canonical, or breaking a rule; the message says
    /// which.</exception>
    public static DatasetManifest Decode(ReadOnlySpan<byte> bytes, PackedDataSettings settings)
    {
        if (bytes.Length > settings.MaxManifestBytes)
            throw Refused($"{bytes.Length:N0} bytes, over the limit of {settings.MaxManifestBytes:N0} " +
                          "(gensyn.datasets.max-manifest-size); split the dataset or raise the limit");
        DatasetManifest manifest;
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            manifest = Read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException
                                      or KeyNotFoundException or OverflowException)
        {
            throw Refused("not a dataset manifest (malformed JSON or a field of the wrong type); " +
                          "pack the dataset again");
        }
        if (!bytes.SequenceEqual(Encode(manifest)))
            throw Refused("not in canonical form (compact JSON, keys in order); pack the dataset again");
        if (ManifestRules.Problem(manifest, settings) is { } problem) throw Refused(problem);
        return manifest;
    }

    private static PackedDataException Refused(string why) => new($"dataset manifest refused: {why}");

    private static DatasetManifest Read(JsonElement root)
    {
        if (root.GetProperty("format").GetString() != FormatTag)
            throw new FormatException("unknown format");
        var kind = root.GetProperty("kind").GetString() switch
        {
            "classification" => PackedKind.Classification,
            "text" => PackedKind.Text,
            _ => throw new FormatException("unknown kind"),
        };
        var shape = root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var (train, test) = (ReadSplit(root.GetProperty("train")), ReadSplit(root.GetProperty("test")));
        return new DatasetManifest(kind, shape, train, test);
    }

    private static PackedSplit ReadSplit(JsonElement s) => new(
        s.GetProperty("examples").GetInt64(),
        s.GetProperty("classes").GetInt32(),
        s.GetProperty("examples-per-chunk").GetInt32(),
        s.GetProperty("chunks").EnumerateArray().Select(c =>
        {
            if (c.GetArrayLength() != 3) throw new FormatException("a chunk is [hash, examples, bytes]");
            return new ChunkRef(Sha256Digest.Parse(c[0].GetString()!), c[1].GetInt32(), c[2].GetInt64());
        }).ToList(),
        s.TryGetProperty("features", out var features) ? ParseFeatures(features.GetString()) : FeatureEncoding.Float32);

    private static readonly (FeatureEncoding Encoding, string Name)[] FeatureNames =
    [
        (FeatureEncoding.Float32, "f32"), (FeatureEncoding.IdxBytes, "idx-u8"),
        (FeatureEncoding.IdxBytesOver255, "idx-u8/255"),
    ];

    private static FeatureEncoding ParseFeatures(string? name) =>
        FeatureNames.FirstOrDefault(f => f.Name == name) is { Name: not null } found
            ? found.Encoding
            : throw new FormatException("unknown feature encoding");

    private static void WriteSplit(Utf8JsonWriter w, string name, PackedSplit split)
    {
        w.WriteStartObject(name);
        w.WriteNumber("examples", split.Examples);
        w.WriteNumber("classes", split.Classes);
        w.WriteNumber("examples-per-chunk", split.ExamplesPerChunk);
        w.WriteStartArray("chunks");
        foreach (var chunk in split.Chunks)
        {
            w.WriteStartArray();
            w.WriteStringValue(chunk.Hash.ToString());
            w.WriteNumberValue(chunk.Examples);
            w.WriteNumberValue(chunk.Bytes);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        if (split.Features != FeatureEncoding.Float32)
            w.WriteString("features", FeatureNames.First(f => f.Encoding == split.Features).Name);
        w.WriteEndObject();
    }

    private static string KindName(PackedKind kind) => kind == PackedKind.Text ? "text" : "classification";
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Gensyn.Training.State;

namespace Gensyn.Training.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
/// names → dtype, shape, byte offsets, plus string metadata, then the raw tensor bytes), which
/// PyTorch's <c>safetensors.torch.load_file</c> opens. Only float32 tensors are used here.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100_000_000;

    public static byte[] Serialize(IReadOnlyList<StateTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var headerJson = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerJson))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)t.Values.Length * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var header = headerJson.ToArray();
        var padded = (header.Length + 7) / 8 * 8; // align the data section to 8 bytes, padding with spaces as the spec allows
        var dataBytes = tensors.Sum(t => (long)t.Values.Length * sizeof(float));
        var file = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        var position = 8 + padded;
        foreach (var t in tensors)
        {
            var bytes = MemoryMarshal.AsBytes(t.Values.AsSpan());
            bytes.CopyTo(file.AsSpan(position));
            position += bytes.Length;
        }
        return file;
    }

    /// <summary>Parses a safetensors file; <paramref name="source"/> names it in error messages.</summary>
    public static (IReadOnlyList<StateTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Deserialize(byte[] file, string source)
    {
        if (file.Length < 8) throw new CheckpointException($"{source}: truncated safetensors file ({file.Length} bytes)");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
            throw new CheckpointException($"{source}: corrupt safetensors header length {headerLength} (file has {file.Length} bytes)");
        var dataStart = 8 + (long)headerLength;
        var dataLength = file.Length - dataStart;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: corrupt safetensors header ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{source}: safetensors header is not a JSON object");
            var metadata = new Dictionary<string, string>();
            var tensors = new List<StateTensor>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{source}: __metadata__ is not an object");
                    foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                tensors.Add(ReadTensor(entry, file, dataStart, dataLength, source));
            }
            return (tensors, metadata);
        }
    }

    private static StateTensor ReadTensor(JsonProperty entry, byte[] file, long dataStart, long dataLength, string source)
    {
        try
        {
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new CheckpointException($"{source}: tensor '{entry.Name}' has dtype {dtype}; only F32 is supported");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != count * sizeof(float))
                throw new CheckpointException($"{source}: tensor '{entry.Name}' has offsets [{string.Join(", ", offsets)}] that do not fit its shape [{string.Join(", ", shape)}] or the file; the file is truncated or corrupt");
            var values = new float[count];
            file.AsSpan((int)(dataStart + offsets[0]), (int)(count * sizeof(float))).CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return new StateTensor(entry.Name, shape, values);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{source}: tensor '{entry.Name}' has a malformed header entry ({e.Message})");
        }
    }
}

/// <summary>A checkpoint or model file that cannot be used; the message names the file and the problem.</summary>
public sealed class CheckpointException(string message) : Exception(message);

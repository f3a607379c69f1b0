using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Gensyn.Contracts;

/// <summary>
/// A worker's id (the name a provider gives its worker; its key is the worker's address). Travels and is journaled as
/// the plain string it wraps, so journals written before it existed read back unchanged. It converts to a string
/// implicitly (logs, paths, formatting) but is made from one only explicitly, so a job id cannot be passed where a
/// worker id is wanted. Ids from outside the cluster go through <see cref="TryParse"/>.
/// </summary>
[JsonConverter(typeof(WorkerIdJsonConverter))]
public readonly partial record struct WorkerId : IComparable<WorkerId>
{
    /// <summary>What <see cref="TryParse"/> accepts, in words for the one-line error that refuses an id.</summary>
    public const string Rule =
        "a worker id is 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public WorkerId(string value) =>
        Value = value ?? throw new ArgumentNullException(nameof(value), "a worker id cannot be null");

    public string Value { get; }

    /// <summary>Whether <paramref name="text"/> follows <see cref="Rule"/>.</summary>
    public static bool IsWellFormed(string? text) => text is not null && Pattern().IsMatch(text);

    /// <summary>An id from outside input: only one that follows <see cref="Rule"/>.</summary>
    public static bool TryParse(string? text, out WorkerId id)
    {
        id = IsWellFormed(text) ? new WorkerId(text!) : default;
        return IsWellFormed(text);
    }

    public static explicit operator WorkerId(string value) => new(value);

    public static implicit operator string(WorkerId id) => id.Value;

    /// <summary>Ordinal, as ids were ordered when they were strings.</summary>
    public int CompareTo(WorkerId other) => string.CompareOrdinal(Value, other.Value);

    public override string ToString() => Value ?? "";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex Pattern();
}

/// <summary>A <see cref="WorkerId"/> as its plain JSON string, as a value and as a dictionary key.</summary>
public sealed class WorkerIdJsonConverter : JsonConverter<WorkerId>
{
    public override WorkerId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new(reader.GetString()!)
            : throw new JsonException("a worker id must be a string");

    public override void Write(Utf8JsonWriter writer, WorkerId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);

    public override WorkerId ReadAsPropertyName(
        ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, WorkerId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.Value);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Gensyn.Contracts;

/// <summary>
/// A job's id. Travels and is journaled as the plain string it wraps, so journals written before it existed read
/// back unchanged. It converts to a string implicitly (logs, paths, formatting) but is made from one only
/// explicitly, so a worker id cannot be passed where a job id is wanted. Ids from outside the cluster go through
/// <see cref="TryParse"/>, which holds them to the form <see cref="New"/> gives.
/// </summary>
[JsonConverter(typeof(JobIdJsonConverter))]
public readonly partial record struct JobId : IComparable<JobId>
{
    public JobId(string value) =>
        Value = value ?? throw new ArgumentNullException(nameof(value), "a job id cannot be null");

    public string Value { get; }

    /// <summary>A fresh id: "job-" and 8 hex digits.</summary>
    public static JobId New() => new("job-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Whether <paramref name="text"/> has the form of an id <see cref="New"/> gives.</summary>
    public static bool IsWellFormed(string? text) => text is not null && Pattern().IsMatch(text);

    /// <summary>An id from outside input: only one of the form <see cref="New"/> gives.</summary>
    public static bool TryParse(string? text, out JobId id)
    {
        id = IsWellFormed(text) ? new JobId(text!) : default;
        return IsWellFormed(text);
    }

    public static explicit operator JobId(string value) => new(value);

    public static implicit operator string(JobId id) => id.Value;

    /// <summary>Ordinal, as ids were ordered when they were strings.</summary>
    public int CompareTo(JobId other) => string.CompareOrdinal(Value, other.Value);

    public override string ToString() => Value ?? "";

    [GeneratedRegex("^job-[0-9a-f]{8}$")]
    private static partial Regex Pattern();
}

/// <summary>A <see cref="JobId"/> as its plain JSON string, as a value and as a dictionary key.</summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? new(reader.GetString()!)
            : throw new JsonException("a job id must be a string");

    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);

    public override JobId ReadAsPropertyName(
        ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.Value);
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gensyn.Edge.Wire;

/// <summary>
/// The JSON of the views the edge returns in <c>json</c> fields: the same names and shapes the CLI prints with <c>--json</c>
/// (camelCase, enums as camelCase strings, NaN allowed), so a client in any language reads them as the CLI's output is documented.
/// </summary>
public static class EdgeJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads a view; a document that is not one gives a one-line error.</summary>
    public static T Read<T>(string json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the coordinator's answer is not a {typeof(T).Name} ({e.Message})");
        }
    }
}

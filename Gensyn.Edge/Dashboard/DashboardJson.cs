using System.Text.Encodings.Web;
using System.Text.Json;
using Gensyn.Edge.Wire;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The dashboard's JSON: <see cref="EdgeJson"/>'s names and shapes, without escaping <c>&lt;</c>, <c>&gt;</c>,
/// <c>&amp;</c> and non-ASCII inside strings (the pages parse it with JSON.parse and set text as text, never as
/// markup), which keeps the SVG charts it carries about a third smaller.
/// </summary>
public static class DashboardJson
{
    private static readonly JsonSerializerOptions Options =
        new(EdgeJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);
}

using System.Text.Json;

namespace Gensyn.Node.Cli;

/// <summary>
/// DATA_DIR/ready.json: written by a node (<c>gensyn node</c>, either role) once it is up, so a supervisor can ask
/// whether it is ready without reading its log: <c>{"pid", "role", "address"}</c>. A node removes a stale one
/// when it starts; the <c>pid</c> tells one left by a killed process from the running node's.
/// </summary>
public static class ReadyFile
{
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, "ready.json");

    public static void Clear(string dataDirectory)
    {
        if (File.Exists(PathIn(dataDirectory))) File.Delete(PathIn(dataDirectory));
    }

    public static void Write(string dataDirectory, string role, string address)
    {
        var path = PathIn(dataDirectory);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new { pid = Environment.ProcessId, role, address }));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Whether the node running as process <paramref name="pid"/> has written its ready file.</summary>
    public static bool WrittenBy(string dataDirectory, int pid)
    {
        try
        {
            using var ready = JsonDocument.Parse(File.ReadAllText(PathIn(dataDirectory)));
            return ready.RootElement.GetProperty("pid").GetInt32() == pid;
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException
                                      or InvalidOperationException)
        {
            return false;
        }
    }
}

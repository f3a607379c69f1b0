using System.Text.Json;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Gensyn.Node.Local;

namespace Gensyn.Tests.Cluster;

/// <summary>One event a JobActor persisted: its type (the journal's manifest) and its fields as journaled.</summary>
public sealed record JournaledEvent(long SequenceNr, string Type, JsonElement Data)
{
    public string? WorkerId => Data.TryGetProperty("workerId", out var w) ? w.GetString() : null;

    public int Int(string field) => Data.GetProperty(field).GetInt32();

    public string Text(string field) => Data.GetProperty(field).GetString()!;

    public override string ToString() => $"#{SequenceNr} {Type} {Data.GetRawText()}";
}

/// <summary>
/// A job's events as its coordinator journaled them in a SQLite journal (the default, DATA_DIR/journal.db) or in
/// PostgreSQL: what tests
/// assert on instead of log wording. Read-only, while the coordinator runs or after.
/// </summary>
public static class JobJournal
{
    public static IReadOnlyList<JournaledEvent> Read(string journalFile, string jobId)
    {
        if (!File.Exists(journalFile)) return [];
        var connection = new SqliteConnectionStringBuilder
        {
            DataSource = journalFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        };
        using var db = new SqliteConnection(connection.ConnectionString);
        return Read(db, jobId, "0");
    }

    /// <summary>The events of <paramref name="jobId"/> in a PostgreSQL journal (the same table as SQLite's).</summary>
    public static IReadOnlyList<JournaledEvent> ReadPostgres(string connectionString, string jobId)
    {
        using var db = new NpgsqlConnection(connectionString);
        return Read(db, jobId, "false");
    }

    private static List<JournaledEvent> Read(DbConnection db, string jobId, string notDeleted)
    {
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT sequence_number, manifest, message FROM journal " +
                            $"WHERE persistence_id = @id AND deleted = {notDeleted} ORDER BY sequence_number";
        var id = query.CreateParameter();
        id.ParameterName = "@id";
        id.Value = $"job-{jobId}";
        query.Parameters.Add(id);
        using var rows = query.ExecuteReader();
        var events = new List<JournaledEvent>();
        while (rows.Read())
        {
            var data = JsonDocument.Parse((byte[])rows.GetValue(2)).RootElement.Clone();
            events.Add(new JournaledEvent(rows.GetInt64(0), rows.GetString(1), data));
        }
        return events;
    }

    /// <summary>The events of <paramref name="jobId"/> in <paramref name="coordinator"/>'s default journal.</summary>
    public static IReadOnlyList<JournaledEvent> JobEvents(
        this LocalCluster cluster, string jobId, string coordinator = "coordinator") =>
        Read(Path.Combine(cluster.DataDir(coordinator), "journal.db"), jobId);

    /// <summary>The events of type <paramref name="type"/>.</summary>
    public static IEnumerable<JournaledEvent> OfKind(this IEnumerable<JournaledEvent> events, string type) =>
        events.Where(e => e.Type == type);

    /// <summary>The events, one a line, for assertion messages.</summary>
    public static string Describe(this IEnumerable<JournaledEvent> events) => string.Join("\n", events);
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Gensyn.Tests.Cli;
using Npgsql;

namespace Gensyn.Tests.Cluster;

/// <summary>
/// The coordinator's journal is the job's memory: a coordinator process killed after a job completed and started again
/// on the same journal (SQLite in its data directory, or PostgreSQL) answers `status` and `logs` exactly as before.
/// </summary>
[Collection("cluster")]
public class JournalTests
{
    [Fact]
    public void A_completed_job_survives_a_coordinator_restart_on_the_default_sqlite_journal()
    {
        using var cluster = TestCluster.Start(workers: 1);
        var journal = Path.Combine(cluster.DataDir("coordinator"), "journal.db");
        RunJobRestartAndCompare(cluster);
        Assert.True(File.Exists(journal), $"expected the default SQLite journal at {journal}");
    }

    [Fact]
    public void A_completed_job_survives_a_coordinator_restart_on_a_postgresql_journal()
    {
        using var database = PostgresTestDatabase.Create();
        using var cluster = TestCluster.Start(workers: 1, db: database.ConnectionString);
        var jobId = RunJobRestartAndCompare(cluster);
        var sqlite = Path.Combine(cluster.DataDir("coordinator"), "journal.db");
        Assert.False(File.Exists(sqlite), $"the coordinator given --db journaled to SQLite at {sqlite} as well");
        Assert.True(database.JournalRows() > 0, $"expected journal rows in PostgreSQL database {database.Name}");
        Assert.True(database.JournalRows($"job-{jobId}") > 0, $"expected events of job-{jobId} in PostgreSQL database {database.Name}");
    }

    /// <summary>Runs a tiny job to completion, restarts the coordinator, asserts it reports the same; returns the job id.</summary>
    private static string RunJobRestartAndCompare(LocalCluster cluster)
    {
        var spec = Path.Combine(cluster.Root, "synthetic.yaml");
        File.WriteAllText(spec, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 5, evalEvery: 1));

        var submitted = cluster.Cli("submit", spec, "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + cluster.Logs());
        var jobId = JsonDocument.Parse(WithoutAkkaLogLines(submitted.Stdout)).RootElement.GetProperty("jobId").GetString()!;

        var before = Capture(cluster, jobId);
        Assert.Equal("completed", before.Job.GetProperty("state").GetString());
        Assert.Equal(2, before.Job.GetProperty("roundHistory").GetArrayLength());
        // Each round's test figures are journalled with it: the restarted coordinator shows them without evaluating.
        Assert.All(before.Job.GetProperty("roundHistory").EnumerateArray(),
            r => Assert.Equal(JsonValueKind.Number, r.GetProperty("testAccuracy").ValueKind));
        Assert.False(string.IsNullOrEmpty(before.Job.GetProperty("finalDigest").GetString()));
        Assert.NotEmpty(before.Logs);

        var oldProcess = cluster.CoordinatorProcess();
        cluster.RestartCoordinator();
        Assert.True(oldProcess.HasExited, "the first coordinator process should be gone");

        var after = Capture(cluster, jobId);
        var context = cluster.Logs();
        Assert.True(before.Job.GetProperty("state").GetString() == after.Job.GetProperty("state").GetString(), "state differs after restart\n" + context);
        Assert.Equal(before.Job.GetProperty("finalDigest").GetString(), after.Job.GetProperty("finalDigest").GetString());
        Assert.Equal(before.Job.GetProperty("roundHistory").GetRawText(), after.Job.GetProperty("roundHistory").GetRawText());
        Assert.Equal(before.Logs, after.Logs);
        Assert.Equal(before.JobJson, after.JobJson);
        Assert.Equal(before.ListJson, after.ListJson);
        Assert.Contains(after.List.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("jobId").GetString() == jobId);
        return jobId;
    }

    private sealed record Snapshot(string JobJson, string Logs, string ListJson)
    {
        public JsonElement Job => JsonDocument.Parse(JobJson).RootElement;
        public JsonElement List => JsonDocument.Parse(ListJson).RootElement;
    }

    /// <summary>`status JOB --json`, `logs JOB` and `status --json`, retried while a fresh coordinator is still warming up.</summary>
    private static Snapshot Capture(LocalCluster cluster, string jobId) =>
        new(Succeed(cluster, "status", jobId, "--json"), Succeed(cluster, "logs", jobId), Succeed(cluster, "status", "--json"));

    /// <summary>
    /// The CLI's actor system sometimes prints a shutdown warning from Akka's fallback stdout logger ("[WARNING][date][Thread
    /// ..][TcpClientHandler (akka://gensyn)] Unable to REMOVE channel ... May not shut down cleanly.") after the command's
    /// output; it is not the command's output, so it is left out of the comparison.
    /// </summary>
    private static string WithoutAkkaLogLines(string stdout) =>
        string.Join('\n', stdout.Split('\n').Where(line => !Regex.IsMatch(line, @"^\[(DEBUG|INFO|WARNING|ERROR)\]\[")));

    private static string Succeed(LocalCluster cluster, params string[] args)
    {
        var stdout = "";
        cluster.AwaitCondition(() =>
        {
            var result = cluster.Cli(args);
            stdout = WithoutAkkaLogLines(result.Stdout);
            return result.ExitCode == 0 && stdout.Trim().Length > 0;
        }, TimeSpan.FromSeconds(60), $"gensyn {string.Join(' ', args)} to succeed");
        return stdout;
    }
}

/// <summary>A fresh database on the test PostgreSQL server (GENSYN_TEST_POSTGRES, set by scripts/test.sh), dropped on dispose.</summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public const string Variable = "GENSYN_TEST_POSTGRES";

    private readonly string _server;

    public string Name { get; }
    public string ConnectionString { get; }

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Creates gensyn_test_RANDOM; fails (never skips) when no test server is configured or reachable.</summary>
    public static PostgresTestDatabase Create()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
            Assert.Fail($"{Variable} is not set: the PostgreSQL journal tests need a server. Run the tests through scripts/test.sh, which starts a throwaway " +
                        $"PostgreSQL (scripts/postgres.sh) and exports {Variable}, or export {Variable}=\"$(scripts/postgres.sh)\" yourself.");
        var database = new PostgresTestDatabase(server, "gensyn_test_" + Guid.NewGuid().ToString("N")[..16]);
        try
        {
            database.Execute($"CREATE DATABASE {database.Name}");
        }
        catch (NpgsqlException e)
        {
            Assert.Fail($"cannot create a database on the test PostgreSQL ({Variable}={server}): {e.Message}. Is it running? scripts/postgres.sh starts it.");
        }
        return database;
    }

    /// <summary>Rows in the journal table(s) of this database, optionally only those of one persistence id.</summary>
    public long JournalRows(string? persistenceId = null)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        var tables = new List<(string Schema, string Table)>();
        using (var find = new NpgsqlCommand(
                   "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name ILIKE '%journal%' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
                   connection))
        using (var reader = find.ExecuteReader())
            while (reader.Read()) tables.Add((reader.GetString(0), reader.GetString(1)));
        long rows = 0;
        foreach (var (schema, table) in tables)
        {
            using var count = new NpgsqlCommand(
                $"SELECT count(*) FROM \"{schema}\".\"{table}\"" + (persistenceId is null ? "" : " WHERE persistence_id = @id"), connection);
            if (persistenceId is not null) count.Parameters.AddWithValue("id", persistenceId);
            rows += (long)count.ExecuteScalar()!;
        }
        return rows;
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(_server);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            Execute($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
        }
    }
}

using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Gensyn.Contracts.Serialization;

namespace Gensyn.Actors;

/// <summary>Where a coordinator keeps its journal: a SQLite file by default, or PostgreSQL.</summary>
public sealed record JournalOptions(string ProviderName, string ConnectionString)
{
    public static JournalOptions Sqlite(string path) => new("SQLite.MS", $"Data Source={path}");

    public static JournalOptions Postgres(string connectionString) => new("PostgreSQL.15", connectionString);

    /// <summary>A PostgreSQL connection string ("Host=...") or a SQLite file path.</summary>
    public static JournalOptions Parse(string db) =>
        db.Contains("Host=", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgres", StringComparison.OrdinalIgnoreCase)
            ? Postgres(db)
            : Sqlite(db.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase) ? db["Data Source=".Length..] : db);

    public string Describe() => ProviderName.StartsWith("SQLite", StringComparison.Ordinal)
        ? "SQLite " + ConnectionString["Data Source=".Length..]
        : "PostgreSQL " + string.Join(';', ConnectionString.Split(';').Where(p => !p.TrimStart().StartsWith("Password", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>
/// A coordinator's settings after flags and environment variables; <see cref="Chain"/> null: jobs are not paid on chain.
/// <see cref="Port"/> is the Akka.Remote (cluster) port. <see cref="ClusterCertificate"/>: the PKCS#12 file this node presents
/// to the other members (default: DATA_DIR/tls/cluster.pfx); <see cref="ClusterCa"/>: a CA certificate the members'
/// certificates chain to (default: none, every member presents the same cluster certificate).
/// </summary>
public sealed record CoordinatorOptions(
    string Host,
    int Port,
    IReadOnlyList<string> Seeds,
    string DataDirectory,
    JournalOptions Journal,
    string ClusterHocon,
    bool SerializeMessages = false,
    string Role = CoordinatorNode.Role,
    Settlement.ChainLink? Chain = null,
    string? ClusterCertificate = null,
    string? ClusterCa = null)
{
    /// <summary>Where the settlement is interrupted on purpose: nowhere, unless Gensyn.Node wires in a rehearsal.</summary>
    public Settlement.ISettlementFaults SettlementFaults { get; init; } = Settlement.NoSettlementFaults.Instance;

    /// <summary>What narrows a spot-check's draw: nothing, unless Gensyn.Node wires in a rehearsal.</summary>
    public Verification.IChallengeFaults ChallengeFaults { get; init; } = Verification.NoChallengeFaults.Instance;

    /// <summary>Whether this node joins an existing cluster: it has a seed other than itself.</summary>
    public bool Joining => Seeds.Any(seed => seed != $"{Host}:{Port}");
}

/// <summary>The HOCON each kind of process runs with.</summary>
public static class NodeConfig
{
    public const string SystemName = "gensyn";

    /// <summary>
    /// GENSYN_SERIALIZE_MESSAGES=1 makes every process serialize even local messages, as the tests
    /// do, so a message type the wire format cannot carry fails at once instead of in production.
    /// </summary>
    public static bool SerializeMessagesRequested => Environment.GetEnvironmentVariable("GENSYN_SERIALIZE_MESSAGES") == "1";

    /// <summary>The address scheme of cluster members: Akka.Remote over TLS.</summary>
    public const string ClusterProtocol = "akka.ssl.tcp";

    /// <summary>The Akka address of the cluster member at <paramref name="endpoint"/> (HOST:PORT).</summary>
    public static string MemberAddress(string endpoint) => $"{ClusterProtocol}://{SystemName}@{endpoint}";

    /// <summary>
    /// A coordinator: cluster.hocon, then the options (port, seeds, journal) on top, with TLS on. TLS takes effect only
    /// with <see cref="CoordinatorSetup"/>'s certificate: create the ActorSystem from that.
    /// </summary>
    public static Config Coordinator(CoordinatorOptions o)
    {
        var seeds = string.Join(", ", o.Seeds.Select(s => Quote(MemberAddress(s))));
        var overrides = $$"""
            akka.remote.dot-netty.tcp.enable-ssl = true
            akka.remote.dot-netty.tcp.hostname = {{Quote(o.Host)}}
            akka.remote.dot-netty.tcp.port = {{o.Port}}
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.cluster.roles = [{{o.Role}}]
            akka.actor.serialize-messages = {{(o.SerializeMessages || SerializeMessagesRequested ? "on" : "off")}}
            akka.persistence.journal.sql.connection-string = {{Quote(o.Journal.ConnectionString)}}
            akka.persistence.journal.sql.provider-name = {{Quote(o.Journal.ProviderName)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(o.Journal.ConnectionString)}}
            akka.persistence.snapshot-store.sql.provider-name = {{Quote(o.Journal.ProviderName)}}
            """;
        if (int.TryParse(Environment.GetEnvironmentVariable("GENSYN_SHARD_STALL_SECONDS"), out var stall) && stall > 0)
            overrides += $"\ngensyn.shard-stall-timeout = {stall}s";
        if (int.TryParse(Environment.GetEnvironmentVariable("GENSYN_MAX_SHARD_FAILURES"), out var failures) && failures > 0)
            overrides += $"\ngensyn.max-shard-failures = {failures}";
        if (int.TryParse(Environment.GetEnvironmentVariable("GENSYN_CHALLENGE_SECONDS"), out var challenge) && challenge > 0)
            overrides += $"\ngensyn.challenge-timeout = {challenge}s";
        return ConfigurationFactory.ParseString(overrides)
            .WithFallback(ConfigurationFactory.ParseString(o.ClusterHocon))
            .WithFallback(ConfigurationFactory.ParseString(SerializationConfig.Hocon));
    }

    /// <summary>
    /// What a coordinator's ActorSystem is created from: <see cref="Coordinator"/>'s HOCON and the cluster certificate's
    /// mutual-TLS setup (HOCON alone cannot refuse a stranger: see <see cref="ClusterCertificate"/>).
    /// </summary>
    public static ActorSystemSetup CoordinatorSetup(CoordinatorOptions o, ClusterCertificate certificate) =>
        BootstrapSetup.Create().WithConfig(Coordinator(o)).And(certificate.SslSetup());

    /// <summary>A worker: a local actor system (no remoting, nothing listens), the project's serializers.</summary>
    public static Config Local(bool serializeMessages = false, string logLevel = "INFO") =>
        ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{logLevel}}
              stdout-loglevel = OFF
              log-dead-letters-during-shutdown = off
              loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
              logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
              actor.provider = local
              actor.serialize-messages = {{(serializeMessages || SerializeMessagesRequested ? "on" : "off")}}
            }
            """).WithFallback(ConfigurationFactory.ParseString(SerializationConfig.Hocon));

    /// <summary>
    /// A plain remoting node with the project's serializers and the coordinators' frame limits: what the tests and benchmarks use to
    /// exercise the wire format and blob streams between two actor systems, as coordinators move blobs between each other.
    /// </summary>
    public static Config Remote(int port = 0, string host = "127.0.0.1", bool serializeMessages = false, string logLevel = "INFO") =>
        ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = remote
              remote.dot-netty.tcp {
                hostname = {{Quote(host)}}
                port = {{port}}
                maximum-frame-size = 512000b
                send-buffer-size = 1024000b
                receive-buffer-size = 1024000b
              }
            }
            """).WithFallback(Local(serializeMessages, logLevel));

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using Akka.Streams;
using Gensyn.Contracts.Messages;

namespace Gensyn.Contracts.Serialization;

/// <summary>
/// The wire and journal format of every <see cref="IGensynMessage"/>: System.Text.Json with the type's
/// name as the manifest. Actor refs travel as their full paths, StreamRefs through Akka.Streams' own
/// serializer. Messages above <see cref="MaxMessageBytes"/> are refused on both ends with a message
/// that says which type and how big, so a peer cannot make a node allocate without bound.
/// </summary>
public sealed class GensynSerializer : SerializerWithStringManifest
{
    public const int Id = 4711;

    /// <summary>Largest serialized message accepted or produced by default (HOCON: gensyn.max-message-bytes). Larger payloads are blobs.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    private readonly int _limit;

    /// <summary>Every message type, by manifest (its simple name, unique within the contracts).</summary>
    public static readonly FrozenDictionary<string, Type> Types = typeof(IGensynMessage).Assembly.GetTypes()
        .Where(t => typeof(IGensynMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .ToFrozenDictionary(t => t.Name);

    private readonly JsonSerializerOptions _options;

    public GensynSerializer(ExtendedActorSystem system) : base(system)
    {
        _limit = system.Settings.Config.GetInt("gensyn.max-message-bytes", MaxMessageBytes);
        _options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            // A diverging run's NaN loss must still travel and be journaled.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // Strangers' messages: a missing or null field that the record does not allow is refused.
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            Converters =
            {
                new JsonStringEnumConverter(JsonNamingPolicy.CamelCase),
                new DigestConverter(),
                new ActorRefConverter(system),
                new SourceRefConverter(system),
            },
        };
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => o.GetType().Name;

    public override byte[] ToBinary(object obj)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);
        if (bytes.Length > _limit && obj is not IPersistedOnly)
            throw new MessageTooLargeException($"{obj.GetType().Name} is {bytes.Length:N0} bytes, over the {_limit:N0}-byte message limit; large payloads must travel as blobs");
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (bytes.Length > _limit && manifest is not (nameof(JobSnapshot) or nameof(JobStateSnapshot)))
            throw new MessageTooLargeException($"refused a {manifest} of {bytes.Length:N0} bytes, over the {_limit:N0}-byte message limit");
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"refused a message of unknown type '{manifest}' ({bytes.Length:N0} bytes)");
        return JsonSerializer.Deserialize(bytes, type, _options)
            ?? throw new SerializationException($"a {manifest} message was empty");
    }

    private sealed class DigestConverter : JsonConverter<Sha256Digest>
    {
        public override Sha256Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Sha256Digest.TryParse(reader.GetString(), out var digest) ? digest : throw new JsonException("a digest must be 64 hex digits");

        public override void Write(Utf8JsonWriter writer, Sha256Digest value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString() ?? throw new JsonException("an actor ref must be a path"));

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }

    /// <summary>A StreamRef as (serializer id, manifest, bytes) of the serializer Akka.Streams binds for it.</summary>
    private sealed class SourceRefConverter(ExtendedActorSystem system) : JsonConverter<ISourceRef<ByteString>>
    {
        private sealed record Wire(int Serializer, string Manifest, byte[] Bytes);

        public override ISourceRef<ByteString> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var wire = JsonSerializer.Deserialize<Wire>(ref reader, options) ?? throw new JsonException("a stream ref is missing");
            return system.Serialization.Deserialize(wire.Bytes, wire.Serializer, wire.Manifest) as ISourceRef<ByteString>
                ?? throw new JsonException("a stream ref did not deserialize to a source of bytes");
        }

        public override void Write(Utf8JsonWriter writer, ISourceRef<ByteString> value, JsonSerializerOptions options)
        {
            var serializer = system.Serialization.FindSerializerFor(value);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
            JsonSerializer.Serialize(writer, new Wire(serializer.Identifier, manifest, serializer.ToBinary(value)), options);
        }
    }
}

public sealed class MessageTooLargeException(string message) : SerializationException(message);

/// <summary>Raw bytes for stream elements (blob chunks): a 64 KiB chunk stays 64 KiB on the wire.</summary>
public sealed class ByteStringSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public const int Id = 4712;

    public override int Identifier => Id;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => ((ByteString)obj).ToArray();

    public override object FromBinary(byte[] bytes, Type? type) => ByteString.FromBytes(bytes);
}

/// <summary>
/// Takes the place of Akka's default JSON serializer (identifier 1), whose type-name handling would let
/// a stranger name any .NET type to instantiate. Everything that crosses a process boundary has a
/// binding of its own; anything else is refused with its type in the message, on both ends.
/// Under <c>akka.actor.serialize-messages = on</c> (tests), Akka's own local-only messages (some of
/// which no serializer can carry, e.g. ones holding tasks) are passed through by reference, so the
/// check exercises exactly the project's messages and refuses any other type.
/// </summary>
public sealed class RefusingSerializer : Serializer
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, object> InFlight = new();
    private static long _next;
    private readonly bool _verifying;

    public RefusingSerializer(ExtendedActorSystem system) : this(system, null)
    {
    }

    /// <summary>Akka hands the JSON serializer's settings to the serializer in its place.</summary>
    public RefusingSerializer(ExtendedActorSystem system, Akka.Configuration.Config? settings) : base(system) =>
        _verifying = system.Settings.SerializeAllMessages;

    public override int Identifier => 1;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        if (!_verifying || !IsAkkas(obj.GetType()))
            throw new SerializationException($"{obj.GetType().FullName} has no serializer binding; only the project's messages may cross a process boundary");
        var id = Interlocked.Increment(ref _next);
        InFlight[id] = obj;
        return BitConverter.GetBytes(id);
    }

    public override object FromBinary(byte[] bytes, Type? type)
    {
        if (_verifying && bytes.Length == sizeof(long) && InFlight.TryRemove(BitConverter.ToInt64(bytes), out var local)) return local;
        throw new SerializationException($"refused a {bytes.Length:N0}-byte message in the default JSON format; peers must use the project's message types");
    }

    private static bool IsAkkas(Type type) => type.Namespace == "Akka" || type.Namespace?.StartsWith("Akka.", StringComparison.Ordinal) == true;
}

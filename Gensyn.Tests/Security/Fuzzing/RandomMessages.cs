using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gensyn.Tests.Security.Fuzzing;

/// <summary>
/// Well-formed protobuf messages of any type with hostile contents: each field is left out or set to an edge value (empty, huge,
/// negative, non-finite, control characters, a valid-looking hex hash or address), nested messages to a bounded depth, one case
/// of each oneof. What a client that speaks the protocol but lies in every field would send.
/// </summary>
public sealed class RandomMessages(Random random)
{
    private static readonly string[] Strings =
    [
        "", " ", "x", "../../../etc/passwd", "/dev/zero", "job-1", "honest", "\0", "\n\r", "\u202e", new string('a', 4096),
        "0x0000000000000000000000000000000000000000", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "name: x\nmodel: { kind: mlp, hidden: [4] }", "NaN", "-1", "%s%n", "😀",
    ];

    public IMessage Next(MessageDescriptor type, int depth = 0)
    {
        var message = (IMessage)Activator.CreateInstance(type.ClrType)!;
        var chosenOneofs = new HashSet<OneofDescriptor>();
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (random.Next(3) == 0) continue;
            if (field.RealContainingOneof is { } oneof && !chosenOneofs.Add(oneof)) continue;
            if (field.IsMap) continue;
            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                var count = random.Next(4) == 0 ? random.Next(200) : random.Next(3);
                for (var i = 0; i < count; i++)
                    if (Value(field, depth) is { } item) list.Add(item);
                continue;
            }
            if (Value(field, depth) is { } value) field.Accessor.SetValue(message, value);
        }
        return message;
    }

    private object? Value(FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => Strings[random.Next(Strings.Length)],
        FieldType.Bytes => ByteString.CopyFrom(Bytes()),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Double => Doubles[random.Next(Doubles.Length)],
        FieldType.Float => (float)Doubles[random.Next(Doubles.Length)],
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Ints[random.Next(Ints.Length)],
        FieldType.UInt32 or FieldType.Fixed32 => (uint)Ints[random.Next(Ints.Length)],
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)Ints[random.Next(Ints.Length)] * (random.Next(2) == 0 ? 1 : 1L << 32),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)(uint)Ints[random.Next(Ints.Length)] << random.Next(33),
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, field.EnumType.Values[random.Next(field.EnumType.Values.Count)].Number),
        FieldType.Message when depth < 3 => Next(field.MessageType, depth + 1),
        _ => null,
    };

    private static readonly double[] Doubles = [0, -0.0, 1, -1, 0.5, 1e308, -1e308, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, 1e9];
    private static readonly int[] Ints = [0, 1, -1, 2, 7, 1024, int.MaxValue, int.MinValue, 65536, 1_000_000];

    private byte[] Bytes()
    {
        var length = random.Next(5) switch { 0 => 0, 1 => 16, 2 => 32, 3 => 65, _ => random.Next(1, 70_000) };
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}

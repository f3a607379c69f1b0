using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gensyn.Contracts;

/// <summary>A SHA-256 value: names blobs, states and Merkle nodes. Printed as 64 lowercase hex digits.</summary>
public readonly record struct Sha256Digest(ulong A, ulong B, ulong C, ulong D)
{
    public const int Size = 32;

    public static Sha256Digest FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a SHA-256 digest has {Size} bytes, got {bytes.Length}");
        return new Sha256Digest(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public static Sha256Digest Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(data, hash);
        return FromBytes(hash);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString() => Convert.ToHexStringLower(ToBytes());

    public static bool TryParse(string? hex, out Sha256Digest digest)
    {
        digest = default;
        if (hex is null || hex.Length != 2 * Size) return false;
        try
        {
            digest = FromBytes(Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static Sha256Digest Parse(string hex) =>
        TryParse(hex, out var d) ? d : throw new FormatException($"'{hex}' is not a SHA-256 digest (64 hex digits)");
}

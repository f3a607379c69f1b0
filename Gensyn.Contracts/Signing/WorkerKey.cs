using System.Numerics;
using System.Security.Cryptography;
using Nethereum.Signer;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// A worker's secp256k1 (Ethereum) key: it signs every <see cref="ShardResultClaim"/> and
/// <see cref="OpeningClaim"/> the worker makes. <see cref="Address"/> is the EIP-55 checksummed address the
/// signatures recover to. The key file holds the private key as <c>0x</c> and 64 hex digits (one line);
/// <see cref="Save"/> creates it with mode 0600 on Unix. <see cref="ToString"/> never prints the key.
/// </summary>
public sealed class WorkerKey
{
    /// <summary>The order n of the secp256k1 group: a private key lies in 1..n-1.</summary>
    internal static readonly BigInteger CurveOrder =
        BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    private const int PrivateKeySize = 32;

    private readonly byte[] _privateKey;

    internal EthECKey EcKey { get; }

    /// <summary>The EIP-55 checksummed Ethereum address of this key (0x and 40 hex digits).</summary>
    public string Address { get; }

    private WorkerKey(byte[] privateKey)
    {
        _privateKey = (byte[])privateKey.Clone();
        EcKey = new EthECKey(_privateKey, isPrivate: true);
        Address = EcKey.GetPublicAddress();
    }

    /// <summary>A fresh key from the operating system's cryptographic random number generator.</summary>
    public static WorkerKey Generate()
    {
        var bytes = new byte[PrivateKeySize];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            if (IsValidScalar(bytes)) return new WorkerKey(bytes);
        }
    }

    /// <summary>The key with this private key (64 hex digits, with or without <c>0x</c>).</summary>
    /// <exception cref="FormatException">Not 32 bytes of hex, or not in 1..n-1.</exception>
    public static WorkerKey FromPrivateKeyHex(string privateKeyHex)
    {
        if (!TryParsePrivateKey(privateKeyHex, out var bytes, out var problem)) throw new FormatException($"not a secp256k1 private key: {problem}");
        return new WorkerKey(bytes);
    }

    /// <summary>The private key as <c>0x</c> and 64 lowercase hex digits. Handle with care; never log it.</summary>
    public string ExportPrivateKeyHex() => "0x" + Convert.ToHexStringLower(_privateKey);

    /// <summary>Reads a key file written by <see cref="Save"/> (surrounding whitespace and a missing <c>0x</c> are accepted).</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file does not hold a valid private key; the message names the file, never its contents.</exception>
    public static WorkerKey Load(string path)
    {
        var text = File.ReadAllText(path);
        if (!TryParsePrivateKey(text, out var bytes, out var problem))
            throw new InvalidDataException($"worker key file '{Path.GetFullPath(path)}' is malformed: {problem} (expected one line: 0x and 64 hex digits)");
        return new WorkerKey(bytes);
    }

    /// <summary>
    /// Writes the private key to <paramref name="path"/> (creating its folder), readable and writable by the owner
    /// only (0600) on Unix. The file is written beside the target and moved into place, so a crash never leaves
    /// half a key. Refuses to replace an existing key file unless <paramref name="overwrite"/>: that would change
    /// the worker's identity.
    /// </summary>
    public void Save(string path, bool overwrite = false)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full)) throw new IOException($"worker key file '{full}' already exists; not replacing it");
        var folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var temporary = full + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(ExportPrivateKeyHex());
                writer.Write('\n');
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The key in <paramref name="path"/>, or a new one saved there when the file does not exist.</summary>
    public static WorkerKey LoadOrCreate(string path)
    {
        if (File.Exists(path)) return Load(path);
        var key = Generate();
        try
        {
            key.Save(path);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Load(path); // another process created it first
        }
    }

    public override string ToString() => $"WorkerKey({Address})";

    private static bool TryParsePrivateKey(string? text, out byte[] bytes, out string problem)
    {
        bytes = [];
        var hex = (text ?? "").Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length != 2 * PrivateKeySize)
        {
            problem = $"expected 64 hex digits, found {hex.Length} characters";
            return false;
        }
        if (!hex.All(Uri.IsHexDigit))
        {
            problem = "it contains characters that are not hex digits";
            return false;
        }
        bytes = Convert.FromHexString(hex);
        if (!IsValidScalar(bytes))
        {
            problem = "the value is zero or not below the secp256k1 group order";
            return false;
        }
        problem = "";
        return true;
    }

    private static bool IsValidScalar(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        return value > 0 && value < CurveOrder;
    }
}

using System.Numerics;
using System.Security.Cryptography;
using Nethereum.Signer;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// A worker's secp256k1 (Ethereum) key: it signs every <see cref="ShardResultClaim"/> and
/// <see cref="OpeningClaim"/> the worker makes. <see cref="Address"/> is the EIP-55 checksummed address the
/// signatures recover to. The key file holds the private key as <c>0x</c> and 64 hex digits (one line), or is an encrypted
/// wallet (<see cref="SaveEncrypted"/>); both are created with mode 0600 on Unix and refused on load when others may read them.
/// <see cref="ToString"/> never prints the key.
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

    /// <summary>
    /// Reads a key file written by <see cref="Save"/> (surrounding whitespace and a missing <c>0x</c> are accepted) or an encrypted
    /// wallet written by <see cref="SaveEncrypted"/> (Web3 Secret Storage JSON), whose passphrase comes from
    /// <paramref name="passphrase"/>, else from <see cref="PassphraseVariable"/>. Like ssh, it refuses a file that its group or others
    /// may read or write.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="KeyFileException">The file is open to others, malformed, or cannot be decrypted; the message names the file
    /// and what to do, never its contents.</exception>
    public static WorkerKey Load(string path, Func<string, string?>? passphrase = null)
    {
        var full = Path.GetFullPath(path);
        CheckPrivate(full);
        var text = File.ReadAllText(full);
        if (text.TrimStart().StartsWith('{')) return FromKeyStore(full, text, passphrase);
        if (!TryParsePrivateKey(text, out var bytes, out var problem))
            throw new KeyFileException($"key file '{full}' is malformed: {problem} (expected one line: 0x and 64 hex digits, or an encrypted wallet)");
        return new WorkerKey(bytes);
    }

    /// <summary>The environment variable an encrypted wallet's passphrase is read from.</summary>
    public const string PassphraseVariable = "GENSYN_WALLET_PASSPHRASE";

    /// <summary>Whether the file at <paramref name="path"/> is an encrypted wallet (Web3 Secret Storage JSON).</summary>
    public static bool IsEncrypted(string path) => File.ReadAllText(path).TrimStart().StartsWith('{');

    /// <summary>
    /// Refuses a key file that its group or others may read or write (as ssh does): <c>chmod 600</c> is the fix. On Windows,
    /// where modes do not exist, nothing is checked.
    /// </summary>
    /// <exception cref="KeyFileException">The mode lets others in.</exception>
    public static void CheckPrivate(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path)) return;
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode open = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                  UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & open) != 0)
            throw new KeyFileException($"key file '{path}' has permissions {Convert.ToString((int)mode & 0x1ff, 8).PadLeft(4, '0')}, which are too open; run chmod 600 {path}");
    }

    private static WorkerKey FromKeyStore(string full, string json, Func<string, string?>? passphrase)
    {
        if (!LooksLikeKeyStore(json))
            throw new KeyFileException($"key file '{full}' is malformed: it is JSON but not an encrypted wallet (Web3 Secret Storage, version 3)");
        var secret = passphrase?.Invoke(full) ?? Environment.GetEnvironmentVariable(PassphraseVariable);
        if (string.IsNullOrEmpty(secret))
            throw new KeyFileException($"key file '{full}' is an encrypted wallet; set {PassphraseVariable} to its passphrase (or run on a terminal to be asked)");
        byte[] bytes;
        try
        {
            bytes = new Nethereum.KeyStore.KeyStoreService().DecryptKeyStoreFromJson(secret, json);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new KeyFileException($"cannot decrypt the wallet '{full}': wrong passphrase (or a damaged file); check {PassphraseVariable}", e);
        }
        if (!IsValidScalar(bytes) || bytes.Length != PrivateKeySize)
            throw new KeyFileException($"key file '{full}' is malformed: the decrypted key is not a secp256k1 private key");
        return new WorkerKey(bytes);
    }

    private static bool LooksLikeKeyStore(string json)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object) return false;
            var crypto = root.TryGetProperty("crypto", out var c) ? c : root.TryGetProperty("Crypto", out var c2) ? c2 : default;
            return crypto.ValueKind == System.Text.Json.JsonValueKind.Object &&
                   crypto.TryGetProperty("ciphertext", out _) && crypto.TryGetProperty("kdf", out _) && crypto.TryGetProperty("mac", out _);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the private key to <paramref name="path"/> (creating its folder), readable and writable by the owner
    /// only (0600) on Unix. The file is written beside the target and moved into place, so a crash never leaves
    /// half a key. Refuses to replace an existing key file unless <paramref name="overwrite"/>: that would change
    /// the worker's identity.
    /// </summary>
    public void Save(string path, bool overwrite = false) => WriteSecret(path, ExportPrivateKeyHex() + "\n", overwrite);

    /// <summary>
    /// Writes the key as an encrypted wallet (Web3 Secret Storage JSON: scrypt and AES-128-CTR, through Nethereum's KeyStore), 0600,
    /// like <see cref="Save"/>. <see cref="Load"/> reads it back given the passphrase.
    /// </summary>
    public void SaveEncrypted(string path, string passphrase, bool overwrite = false)
    {
        if (string.IsNullOrEmpty(passphrase)) throw new ArgumentException("an encrypted wallet needs a non-empty passphrase", nameof(passphrase));
        var json = new Nethereum.KeyStore.KeyStoreService().EncryptAndGenerateDefaultKeyStoreAsJson(passphrase, _privateKey, Address);
        WriteSecret(path, json + "\n", overwrite);
    }

    private static void WriteSecret(string path, string contents, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full)) throw new IOException($"key file '{full}' already exists; not replacing it");
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
                writer.Write(contents);
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
    public static WorkerKey LoadOrCreate(string path, Func<string, string?>? passphrase = null)
    {
        if (File.Exists(path)) return Load(path, passphrase);
        var key = Generate();
        try
        {
            key.Save(path);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Load(path, passphrase); // another process created it first
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

/// <summary>A key file that may not be used: open to others, malformed, or not decryptable. The message is one line saying what to do.</summary>
public sealed class KeyFileException(string message, Exception? inner = null) : IOException(message, inner);

using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nethereum.Util;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// Which chain settles a network's jobs and where its contracts live. The contracts part is the file
/// `gensyn node --contracts FILE` reads and the file a devnet node writes to DATA_DIR/chain/contracts.json:
/// <c>{"chainId": 31337, "token": "0x…", "staking": "0x…", "escrow": "0x…"}</c>.
/// </summary>
public sealed record ChainSettings(string RpcUrl, int ChainId, string Token, string Staking, string Escrow, bool IsDevnet)
{
    public SettlementAddresses Addresses => new(Token, Staking, Escrow);

    private sealed record ContractsFile(
        [property: JsonPropertyName("chainId")] int ChainId,
        [property: JsonPropertyName("token")] string? Token,
        [property: JsonPropertyName("staking")] string? Staking,
        [property: JsonPropertyName("escrow")] string? Escrow);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public void SaveContracts(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new ContractsFile(ChainId, Token, Staking, Escrow), Indented));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a contracts file; every problem is a <see cref="ChainSetupException"/> that names the file and the field.</summary>
    public static ChainSettings LoadContracts(string path, string rpcUrl, bool isDevnet = false)
    {
        ContractsFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ContractsFile>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChainSetupException($"--contracts: cannot read {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new ChainSetupException($"--contracts: {path} is not valid JSON ({e.Message}); expected {{\"chainId\": N, \"token\": \"0x…\", \"staking\": \"0x…\", \"escrow\": \"0x…\"}}");
        }
        if (file is null) throw new ChainSetupException($"--contracts: {path} is empty");
        if (file.ChainId <= 0) throw new ChainSetupException($"--contracts: {path}: chainId must be a positive number, got {file.ChainId}");
        return new ChainSettings(rpcUrl, file.ChainId, Address(path, "token", file.Token), Address(path, "staking", file.Staking),
            Address(path, "escrow", file.Escrow), isDevnet);
    }

    private static string Address(string path, string field, string? value) =>
        value is not null && AddressUtil.Current.IsValidEthereumAddressHexFormat(value)
            ? value
            : throw new ChainSetupException($"--contracts: {path}: {field} must be a 0x-prefixed 20-byte address, got {(value is null ? "nothing" : $"'{value}'")}");
}

/// <summary>The chain a node was pointed at cannot be used (unreachable, wrong chain id, no contracts); the message says what to do.</summary>
public sealed class ChainSetupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How jobs and settlements are named on chain.</summary>
public static class EscrowIds
{
    /// <summary>A job's escrow key: its id's UTF-8 bytes, left-aligned in 32 bytes (readable in a block explorer).</summary>
    public static byte[] JobKey(string jobId)
    {
        var bytes = Encoding.UTF8.GetBytes(jobId);
        if (bytes.Length > 32) throw new ArgumentException($"job id {jobId} is longer than 32 bytes", nameof(jobId));
        var key = new byte[32];
        bytes.CopyTo(key, 0);
        return key;
    }

    /// <summary>The settlement id of one payment step of a job ("round-3", "complete", "cancel"): usable once on chain.</summary>
    public static byte[] SettlementId(string jobId, string step) => Sha3Keccack.Current.CalculateHash(Encoding.UTF8.GetBytes($"gensyn/settlement/{jobId}/{step}"));

    /// <summary>keccak-256 of the canonical text of a fraud's evidence: the hash a slash records on chain.</summary>
    public static byte[] EvidenceHash(string canonicalEvidence) => Sha3Keccack.Current.CalculateHash(Encoding.UTF8.GetBytes(canonicalEvidence));

    public static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);

    public static byte[] FromHex(string hex) => Convert.FromHexString(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex);
}

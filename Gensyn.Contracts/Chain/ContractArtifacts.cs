using System.Reflection;
using System.Text.Json;

namespace Gensyn.Contracts.Chain;

/// <summary>One compiled contract from contracts-sol/out: its ABI (JSON text) and creation bytecode (0x hex).</summary>
public sealed record ContractArtifact(string Name, string AbiJson, string Bytecode);

/// <summary>
/// Reads the compiled contracts embedded into this assembly from contracts-sol/out/*.json, so running
/// (and building) never needs Node or solc.
/// </summary>
public static class ContractArtifacts
{
    /// <summary>The contracts contracts-sol compiles, by name.</summary>
    public static readonly IReadOnlyList<string> Names = ["GensynToken", "ProviderStaking", "JobEscrow", "AdminTimelock"];

    private static readonly Dictionary<string, ContractArtifact> Cache = new();

    public static ContractArtifact GensynToken => Load("GensynToken");
    public static ContractArtifact ProviderStaking => Load("ProviderStaking");
    public static ContractArtifact JobEscrow => Load("JobEscrow");
    public static ContractArtifact AdminTimelock => Load("AdminTimelock");

    /// <summary>The devnet's 6-decimal USDC stand-in. Its ABI is GensynToken's (name and symbol aside), so it has no mirror of its own.</summary>
    public static ContractArtifact MockUsdc => Load("MockUSDC");

    /// <summary>SHA-256 (hex) of every contract's creation bytecode: it changes whenever a contract does.</summary>
    public static string Fingerprint => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join("\n", Names.Append("MockUSDC").Select(n => Load(n).Bytecode)))));

    /// <summary>Loads the artifact named <paramref name="name"/> (e.g. "JobEscrow").</summary>
    public static ContractArtifact Load(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out var cached)) return cached;
            var resource = $"Gensyn.Contracts.Chain.{name}.json";
            using var stream = typeof(ContractArtifacts).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException(
                    $"contract artifact {name} is not embedded; run contracts-sol/build.sh and rebuild");
            using var doc = JsonDocument.Parse(stream);
            var artifact = new ContractArtifact(
                name,
                doc.RootElement.GetProperty("abi").GetRawText(),
                doc.RootElement.GetProperty("bytecode").GetString()!);
            Cache[name] = artifact;
            return artifact;
        }
    }
}

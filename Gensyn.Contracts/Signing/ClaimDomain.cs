using Gensyn.Contracts.Messages;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// The EIP-712 domain every claim is signed under: <c>EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)</c>
/// with name <see cref="Name"/> and version <see cref="Version"/>. On a network that settles on chain, <see cref="ChainId"/> is its chain
/// and <see cref="VerifyingContract"/> its JobEscrow; a network without a chain (<see cref="None"/>) signs with chain id 0 and the zero
/// address, so a claim made for a test network can never pass on a paying one, nor one made for one escrow on another.
/// </summary>
public sealed record ClaimDomain(long ChainId, string VerifyingContract)
{
    public const string Name = "Gensyn";
    public const string Version = "1";
    public const string ZeroAddress = "0x0000000000000000000000000000000000000000";

    /// <summary>A network that does not settle on chain.</summary>
    public static ClaimDomain None { get; } = new(0, ZeroAddress);

    /// <summary>The domain of a network that settles on <paramref name="chain"/>.</summary>
    public static ClaimDomain Of(ChainInfo chain) => new(chain.ChainId, chain.Escrow);

    /// <summary>The domain of a network: <see cref="Of(ChainInfo)"/> for a <see cref="ChainInfo"/>, <see cref="None"/> for anything else.</summary>
    public static ClaimDomain Of(IGensynMessage? network) => network is ChainInfo chain ? Of(chain) : None;

    /// <summary>A domain on a chain with no contract of its own (edge transport claims: the edge is named inside the claim).</summary>
    public static ClaimDomain Chain(long chainId) => new(chainId, ZeroAddress);

    public const string TypeString = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// <summary>The domain separator: <c>keccak256(abi.encode(typeHash, keccak256(name), keccak256(version), chainId, verifyingContract))</c>.</summary>
    /// <exception cref="ArgumentException">The chain id is negative or the contract is not an address.</exception>
    public byte[] Separator()
    {
        var w = new TypedDataWriter(TypeString, 4);
        w.String(Name, "name");
        w.String(Version, "version");
        w.UInt64(ChainId, "chainId");
        w.Address(VerifyingContract, "verifyingContract");
        return w.Hash();
    }

    public override string ToString() => ChainId == 0 ? "no chain" : $"chain {ChainId}, escrow {VerifyingContract}";
}

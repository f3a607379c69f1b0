using Gensyn.Contracts.Messages;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// A statement signed with an Ethereum key as EIP-712 typed data, so that a false one is attributable evidence that can later
/// be shown on chain. <see cref="ComputeHash"/> is the 32-byte digest <see cref="ClaimSigner"/> signs (see <see cref="ClaimDigest"/>
/// for the encoding): the claim's struct hash under its <see cref="SigningDomain"/>.
/// </summary>
public interface IClaim
{
    /// <summary>The EIP-712 type string of this kind of claim, e.g. <c>"Opening(string jobId,…)"</c>.</summary>
    string Type { get; }

    /// <summary>The network the claim is made on: the EIP-712 domain.</summary>
    ClaimDomain SigningDomain { get; }

    /// <summary>EIP-712 <c>hashStruct</c> of the claim.</summary>
    byte[] StructHash();

    /// <summary>The EIP-712 digest <c>keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)</c>: 32 bytes.</summary>
    byte[] ComputeHash();
}

/// <summary>
/// "I trained shard <see cref="Shard"/> of round <see cref="Round"/> of job <see cref="JobId"/> (assignment
/// <see cref="Epoch"/>) and reached <see cref="EndState"/>, committing to <see cref="MerkleRoot"/> over my
/// per-step states, with these per-step losses." The signed form of a <see cref="ShardResult"/>.
/// </summary>
public sealed record ShardResultClaim(
    string JobId,
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    Sha256Digest EndState,
    Sha256Digest MerkleRoot,
    IReadOnlyList<float> Losses,
    ClaimDomain? Network = null) : IClaim
{
    public const string TypeString =
        "ShardResult(string jobId,uint32 round,uint32 shard,uint32 epoch,string workerId,bytes32 endState,bytes32 merkleRoot,bytes losses)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => Network ?? ClaimDomain.None;

    public static ShardResultClaim From(ShardResult result, ClaimDomain? network = null) =>
        new(result.JobId, result.Round, result.Shard, result.Epoch, result.WorkerId, result.EndState, result.MerkleRoot, result.Losses, network);

    public byte[] StructHash()
    {
        ArgumentNullException.ThrowIfNull(Losses, nameof(Losses));
        var w = new TypedDataWriter(TypeString, 8);
        w.String(JobId, nameof(JobId));
        w.UInt32(Round, nameof(Round));
        w.UInt32(Shard, nameof(Shard));
        w.UInt32(Epoch, nameof(Epoch));
        w.String(WorkerId, nameof(WorkerId));
        w.Digest(EndState);
        w.Digest(MerkleRoot);
        w.Bytes(ClaimDigest.LossesBytes(Losses));
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());
}

/// <summary>
/// A challenge answer: "in shard <see cref="Shard"/> of round <see cref="Round"/> of job <see cref="JobId"/>
/// (assignment <see cref="Epoch"/>), the state after local step <see cref="Step"/> is <see cref="State"/>,
/// a leaf of the tree whose root I committed to as <see cref="MerkleRoot"/>." The Merkle proof itself is
/// not signed: it verifies against the root on its own, and the signature is what makes the opened
/// state attributable to the worker.
/// </summary>
public sealed record OpeningClaim(
    string JobId,
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    int Step,
    Sha256Digest State,
    Sha256Digest MerkleRoot,
    ClaimDomain? Network = null) : IClaim
{
    public const string TypeString =
        "Opening(string jobId,uint32 round,uint32 shard,uint32 epoch,string workerId,uint32 step,bytes32 state,bytes32 merkleRoot)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => Network ?? ClaimDomain.None;

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 8);
        w.String(JobId, nameof(JobId));
        w.UInt32(Round, nameof(Round));
        w.UInt32(Shard, nameof(Shard));
        w.UInt32(Epoch, nameof(Epoch));
        w.String(WorkerId, nameof(WorkerId));
        w.UInt32(Step, nameof(Step));
        w.Digest(State);
        w.Digest(MerkleRoot);
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());
}

/// <summary>
/// "I, who deposited the budget of job <see cref="JobId"/> in the escrow of <see cref="Network"/>, submit the spec whose SHA-256 is
/// <see cref="SpecSha256"/> (with the data and model whose SHA-256 are <see cref="DataSha256"/> and <see cref="ModelSha256"/>; all zero
/// until they travel as blobs)." Signed by the requester's wallet, so that nobody else can start a job of their own on that deposit,
/// and the signature is worthless on another chain or against another escrow.
/// </summary>
public sealed record SubmissionClaim(string JobId, string SpecSha256, ClaimDomain Network, string? DataSha256 = null, string? ModelSha256 = null) : IClaim
{
    public const string TypeString = "Submission(string jobId,bytes32 specSha256,bytes32 dataSha256,bytes32 modelSha256)";

    private static readonly string NoHash = new('0', 64);

    public string Type => TypeString;

    public ClaimDomain SigningDomain => Network;

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 4);
        w.String(JobId, nameof(JobId));
        w.HexBytes32(SpecSha256, nameof(SpecSha256));
        w.HexBytes32(DataSha256 ?? NoHash, nameof(DataSha256));
        w.HexBytes32(ModelSha256 ?? NoHash, nameof(ModelSha256));
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());

    /// <summary>The claim for a spec's exact text, paid in the escrow of <paramref name="network"/>.</summary>
    public static SubmissionClaim For(ClaimDomain network, string jobId, string specYaml) =>
        new(jobId, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(specYaml))), network);
}

/// <summary>
/// A worker's capability profile: "worker <see cref="WorkerId"/>, key <see cref="Address"/>, offers this device, memory, threads
/// and numeric class at this price per compute-hour, and measured this throughput and bandwidth, as of <see cref="IssuedAtUnixMs"/>."
/// Signed with the worker's key, so the profile it is matched on is attributable to its staked identity; the time lets the
/// registry refuse an old profile replayed in place of the current one.
/// </summary>
public sealed record CapabilityClaim(string WorkerId, string Address, string Device, double MemoryGb, int Threads, string NumericClass,
                                     double PricePerHour, double Throughput, double BandwidthMbps, long IssuedAtUnixMs, ClaimDomain? Network = null) : IClaim
{
    public const string TypeString =
        "Capability(string workerId,address worker,string device,uint64 memoryGbF64,uint32 threads,string numericClass," +
        "uint64 pricePerHourF64,uint64 throughputF64,uint64 bandwidthMbpsF64,uint64 issuedAtMs)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => Network ?? ClaimDomain.None;

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 10);
        w.String(WorkerId, nameof(WorkerId));
        w.Address(Address, nameof(Address));
        w.String(Device, nameof(Device));
        w.Float64(MemoryGb);
        w.UInt32(Threads, nameof(Threads));
        w.String(NumericClass, nameof(NumericClass));
        w.Float64(PricePerHour);
        w.Float64(Throughput);
        w.Float64(BandwidthMbps);
        w.UInt64(IssuedAtUnixMs, nameof(IssuedAtUnixMs));
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());

    public static CapabilityClaim From(RegisterWorker r, ClaimDomain? network = null) =>
        new(r.WorkerId, r.Address, r.Device, r.MemoryGb, r.Threads, r.NumericClass, r.PricePerHour, r.Throughput, r.BandwidthMbps, r.IssuedAtUnixMs, network);
}

/// <summary>
/// "I call <see cref="Method"/> with the request whose SHA-256 is <see cref="BodySha256"/>, on the network of chain
/// <see cref="ChainId"/>, at the edge whose TLS certificate has SHA-256 fingerprint <see cref="EdgeFingerprint"/>, at
/// <see cref="UnixMilliseconds"/>, once (<see cref="Nonce"/>)." Every signed requester call carries one, so a captured request
/// cannot be replayed, sent to another edge or another network, or altered. Its domain is the chain with no contract: the edge
/// it is meant for is named by its fingerprint.
/// </summary>
public sealed record EdgeRequestClaim(string Method, string BodySha256, int ChainId, string EdgeFingerprint, long UnixMilliseconds, string Nonce) : IClaim
{
    public const string TypeString = "EdgeRequest(string method,bytes32 bodySha256,string edgeFingerprint,uint64 unixMilliseconds,string nonce)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => ClaimDomain.Chain(ChainId);

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 5);
        w.String(Method, nameof(Method));
        w.HexBytes32(BodySha256, nameof(BodySha256));
        w.String(EdgeFingerprint?.ToLowerInvariant(), nameof(EdgeFingerprint));
        w.UInt64(UnixMilliseconds, nameof(UnixMilliseconds));
        w.String(Nonce?.ToLowerInvariant(), nameof(Nonce));
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());
}

/// <summary>
/// "Worker <see cref="WorkerId"/> opens a session at the edge with certificate fingerprint <see cref="EdgeFingerprint"/> on chain
/// <see cref="ChainId"/>, answering its challenge <see cref="Nonce"/>." Signed by the worker's key in its Hello: a recorded
/// handshake is worthless, since every session gets a fresh nonce.
/// </summary>
public sealed record WorkerSessionClaim(string WorkerId, string Nonce, string EdgeFingerprint, int ChainId) : IClaim
{
    public const string TypeString = "WorkerSession(string workerId,string nonce,string edgeFingerprint)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => ClaimDomain.Chain(ChainId);

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 3);
        w.String(WorkerId, nameof(WorkerId));
        w.String(Nonce?.ToLowerInvariant(), nameof(Nonce));
        w.String(EdgeFingerprint?.ToLowerInvariant(), nameof(EdgeFingerprint));
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());
}

using Gensyn.Contracts.Messages;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// A statement a worker signs with its Ethereum key, so that a false one is attributable evidence that
/// can later be shown on chain. <see cref="ComputeHash"/> is the 32-byte keccak256 claim hash that
/// <see cref="ClaimSigner"/> signs (see <see cref="ClaimDigest"/> for the exact encoding).
/// </summary>
public interface IClaim
{
    /// <summary>The domain tag of this kind of claim, e.g. <c>"gensyn/shard-result/v1"</c>.</summary>
    string Domain { get; }

    /// <summary>keccak256 of the canonical packed encoding (<see cref="ClaimDigest"/>): 32 bytes.</summary>
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
    IReadOnlyList<float> Losses) : IClaim
{
    public string Domain => ClaimDigest.ShardResultDomain;

    public static ShardResultClaim From(ShardResult result) =>
        new(result.JobId, result.Round, result.Shard, result.Epoch, result.WorkerId, result.EndState, result.MerkleRoot, result.Losses);

    public byte[] ComputeHash() => ClaimDigest.Hash(this);
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
    Sha256Digest MerkleRoot) : IClaim
{
    public string Domain => ClaimDigest.OpeningDomain;

    public byte[] ComputeHash() => ClaimDigest.Hash(this);
}

/// <summary>
/// "I, who deposited the budget of job <see cref="JobId"/>, submit the spec whose SHA-256 is <see cref="SpecSha256"/>."
/// Signed by the requester's wallet, so that nobody else can start a job of their own on that deposit.
/// </summary>
public sealed record SubmissionClaim(string JobId, string SpecSha256) : IClaim
{
    public const string SubmissionDomain = "gensyn/submission/v1";

    public string Domain => SubmissionDomain;

    public byte[] ComputeHash() =>
        Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes($"{SubmissionDomain}\n{JobId}\n{SpecSha256}"));

    /// <summary>The claim for a spec's exact text.</summary>
    public static SubmissionClaim For(string jobId, string specYaml) =>
        new(jobId, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(specYaml))));
}

/// <summary>
/// A worker's capability profile: "worker <see cref="WorkerId"/>, key <see cref="Address"/>, offers this device, memory, threads
/// and numeric class at this price per compute-hour, and measured this throughput and bandwidth." Signed with the worker's key,
/// so the profile it is matched on is attributable to its staked identity.
/// </summary>
public sealed record CapabilityClaim(string WorkerId, string Address, string Device, double MemoryGb, int Threads, string NumericClass,
                                     double PricePerHour, double Throughput, double BandwidthMbps) : IClaim
{
    public const string CapabilityDomain = "gensyn/capability/v1";

    public string Domain => CapabilityDomain;

    public byte[] ComputeHash()
    {
        static string R(double d) => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            CapabilityDomain, WorkerId, Address.ToLowerInvariant(), Device, R(MemoryGb), Threads, NumericClass, R(PricePerHour), R(Throughput), R(BandwidthMbps))));
    }

    public static CapabilityClaim From(RegisterWorker r) =>
        new(r.WorkerId, r.Address, r.Device, r.MemoryGb, r.Threads, r.NumericClass, r.PricePerHour, r.Throughput, r.BandwidthMbps);
}

/// <summary>
/// "I call <see cref="Method"/> with the request whose SHA-256 is <see cref="BodySha256"/>, on the network of chain
/// <see cref="ChainId"/>, at the edge whose TLS certificate has SHA-256 fingerprint <see cref="EdgeFingerprint"/>, at
/// <see cref="UnixMilliseconds"/>, once (<see cref="Nonce"/>)." Every signed requester call carries one, so a captured request
/// cannot be replayed, sent to another edge or another network, or altered.
/// </summary>
public sealed record EdgeRequestClaim(string Method, string BodySha256, int ChainId, string EdgeFingerprint, long UnixMilliseconds, string Nonce) : IClaim
{
    public const string RequestDomain = "gensyn/edge-request/v1";

    public string Domain => RequestDomain;

    public byte[] ComputeHash() => Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
        RequestDomain, Method, BodySha256.ToLowerInvariant(), ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture), EdgeFingerprint.ToLowerInvariant(),
        UnixMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), Nonce.ToLowerInvariant())));
}

/// <summary>
/// "Worker <see cref="WorkerId"/> opens a session at the edge with certificate fingerprint <see cref="EdgeFingerprint"/> on chain
/// <see cref="ChainId"/>, answering its challenge <see cref="Nonce"/>." Signed by the worker's key in its Hello: a recorded
/// handshake is worthless, since every session gets a fresh nonce.
/// </summary>
public sealed record WorkerSessionClaim(string WorkerId, string Nonce, string EdgeFingerprint, int ChainId) : IClaim
{
    public const string SessionDomain = "gensyn/worker-session/v1";

    public string Domain => SessionDomain;

    public byte[] ComputeHash() => Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
        SessionDomain, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(WorkerId))),
        Nonce.ToLowerInvariant(), EdgeFingerprint.ToLowerInvariant(), ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture))));
}

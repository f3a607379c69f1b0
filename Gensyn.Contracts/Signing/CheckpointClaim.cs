using Gensyn.Contracts.Messages;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// "In shard <see cref="Shard"/> of round <see cref="Round"/> of job <see cref="JobId"/> (assignment
/// <see cref="Epoch"/>), my state after local step <see cref="LocalStep"/> is the checkpoint blob
/// <see cref="Checkpoint"/>." The signed form of a <see cref="ShardCheckpointed"/>: a shard resumed from it trusts
/// its steps 1..<see cref="LocalStep"/> to the maker, so a checkpoint that a replay from the round's start state does
/// not reproduce is the maker's fraud, with this signature as the evidence, never the resumer's.
/// </summary>
public sealed record CheckpointClaim(
    string JobId,
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    int LocalStep,
    Sha256Digest Checkpoint,
    ClaimDomain? Network = null) : IClaim
{
    public const string TypeString =
        "Checkpoint(string jobId,uint32 round,uint32 shard,uint32 epoch,string workerId,uint32 localStep," +
        "bytes32 checkpoint)";

    public string Type => TypeString;

    public ClaimDomain SigningDomain => Network ?? ClaimDomain.None;

    public static CheckpointClaim From(ShardCheckpointed c, ClaimDomain? network = null) =>
        new(c.JobId, c.Round, c.Shard, c.Epoch, c.WorkerId, c.LocalStep, c.Checkpoint, network);

    public byte[] StructHash()
    {
        var w = new TypedDataWriter(TypeString, 7);
        w.String(JobId, nameof(JobId));
        w.UInt32(Round, nameof(Round));
        w.UInt32(Shard, nameof(Shard));
        w.UInt32(Epoch, nameof(Epoch));
        w.String(WorkerId, nameof(WorkerId));
        w.UInt32(LocalStep, nameof(LocalStep));
        w.Digest(Checkpoint);
        return w.Hash();
    }

    public byte[] ComputeHash() => ClaimDigest.TypedDataHash(SigningDomain, StructHash());
}

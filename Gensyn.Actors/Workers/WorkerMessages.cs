using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Workers;

/// <summary>The messages the pieces of one worker exchange among themselves (never sent over the network).</summary>
public static class WorkerMessages
{
    /// <summary>
    /// The network this worker's claims are signed for (the EIP-712 domain), learnt with the chain before it registers:
    /// from the registration to the shard runner and the challenge responder.
    /// </summary>
    public sealed record NetworkKnown(ClaimDomain Network) : INoSerializationVerificationNeeded;

    /// <summary>
    /// A shard this worker now stands behind (its signed result): from the shard runner to the challenge responder,
    /// before the result (or its seal) leaves, so that the challenge which follows finds it.
    /// </summary>
    public sealed record HoldShard(CommittedShard Shard) : INoSerializationVerificationNeeded;
}

/// <summary>
/// A shard a worker committed to, kept until it is judged or abandoned (<see cref="CommittedShards"/>). In replicated
/// mode the result waits behind <see cref="Seal"/> until both replicas sealed. An inference shard has no
/// <see cref="Trajectory"/> or tree to open: its predictions went to the coordinator whole.
/// </summary>
public sealed record CommittedShard(ShardAssignment Assignment, ShardTrajectory? Trajectory, MerkleTree? Tree,
                                    ShardResult Result, Sha256Digest? Seal = null)
{
    /// <summary>Whether this is the commitment for that attempt of that shard.</summary>
    public bool Is(JobId jobId, int round, int shard, int epoch) =>
        Assignment.JobId == jobId && Assignment.Round == round && Assignment.Shard == shard
        && Assignment.Epoch == epoch;
}

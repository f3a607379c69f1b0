using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Testing.Workers;

/// <summary>Where a copycat finds a root to commit to instead of training.</summary>
public interface IReplicaRootSource
{
    /// <summary>A root for <paramref name="assignment"/>'s shard, or null when none is found.</summary>
    Task<Sha256Digest?> RootOfAsync(ShardAssignment assignment, CancellationToken token);
}

/// <summary>
/// A copycat's roots as the coordinators publish them: the status of an earlier job that the copycat's operator paid
/// for (<c>GENSYN_COPYCAT_JOB</c>, asked with the payer's key in <c>GENSYN_COPYCAT_KEY</c>) lists each completed
/// round's shard roots. Training is deterministic, so an identical job commits to identical roots; the seal cannot
/// stop a copy learnt before the shard began, and only the possession check (open a committed state) catches it.
/// </summary>
/// <param name="status">The earlier job's full status, as the requester API returns it to its payer.</param>
public sealed class PublishedRoots(Func<CancellationToken, Task<IGensynMessage>> status) : IReplicaRootSource
{
    public const string JobVariable = "GENSYN_COPYCAT_JOB";
    public const string KeyVariable = "GENSYN_COPYCAT_KEY";

    public async Task<Sha256Digest?> RootOfAsync(ShardAssignment assignment, CancellationToken token)
    {
        IGensynMessage reply;
        try
        {
            reply = await status(token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;   // no coordinator answered: the copycat commits its own root
        }
        if (reply is not JobView job) return null;
        var round = job.RoundHistory.FirstOrDefault(r => r.Round == assignment.Round);
        return round is not null && assignment.Shard < round.ShardRoots.Count
               && Sha256Digest.TryParse(round.ShardRoots[assignment.Shard], out var root)
            ? root
            : null;
    }
}

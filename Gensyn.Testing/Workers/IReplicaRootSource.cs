using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Testing.Workers;

/// <summary>Where a copycat finds the root another replica of its shard committed to.</summary>
public interface IReplicaRootSource
{
    /// <summary>The other replica's root for <paramref name="assignment"/>'s shard, or null when none is found in time.</summary>
    Task<Sha256Digest?> RootOfAsync(ShardAssignment assignment, CancellationToken token);
}

/// <summary>
/// A copycat's source that reads another worker's log (<c>GENSYN_COPYCAT_LEAK=FILE</c>): the honest replica's
/// "round R shard S done: root …" line, waiting up to a minute for it. It stands for any side channel outside the
/// protocol; the seal (ReplicaSeal) is what keeps a copy learnt after sealing from counting.
/// </summary>
public sealed class LeakedLogRoots(string file) : IReplicaRootSource
{
    public const string Variable = "GENSYN_COPYCAT_LEAK";

    public async Task<Sha256Digest?> RootOfAsync(ShardAssignment a, CancellationToken token)
    {
        var pattern = new System.Text.RegularExpressions.Regex(
            $@"{a.JobId} round {a.Round} shard {a.Shard} done: root ([0-9a-f]{{64}})");
        for (var i = 0; i < 600 && !token.IsCancellationRequested; i++)
        {
            if (File.Exists(file))
            {
                using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
                if (pattern.Match(await reader.ReadToEndAsync(token)) is { Success: true } m
                    && Sha256Digest.TryParse(m.Groups[1].Value, out var root))
                    return root;
            }
            await Task.Delay(100, token);
        }
        return null;
    }
}

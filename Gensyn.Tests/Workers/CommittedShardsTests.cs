using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>The commitments a worker keeps while their results are verified and it trains its next shards.</summary>
public sealed class CommittedShardsTests
{
    private static CommittedShard Shard(int shard, int epoch = 0)
    {
        var assignment = new ShardAssignment((JobId)"held-job", 1, shard, epoch, SpecRef.Of("name: spec\n"), "/data",
            Sha256Digest.Of([1]), 1, ActorRefs.Nobody, ActorRefs.Nobody);
        var result = new ShardResult((JobId)"held-job", 1, shard, epoch, (WorkerId)"w", Sha256Digest.Of([2]),
            Sha256Digest.Of([(byte)shard]), new float[2], "signed");
        return new CommittedShard(assignment, null, null, result);
    }

    [Fact]
    public void Each_commitment_is_found_by_its_attempt_until_it_is_forgotten()
    {
        var held = new CommittedShards().Hold(Shard(0), out _).Hold(Shard(1), out var dropped);

        Assert.Null(dropped);
        Assert.Equal(0, held.Find((JobId)"held-job", 1, 0, 0)!.Assignment.Shard);
        Assert.Equal(1, held.Find((JobId)"held-job", 1, 1, 0)!.Assignment.Shard);
        Assert.Null(held.Find((JobId)"held-job", 1, 1, 1));   // another attempt of the shard

        var after = held.Forget((JobId)"held-job", 1, 0, 0);
        Assert.Null(after.Find((JobId)"held-job", 1, 0, 0));
        Assert.NotNull(after.Find((JobId)"held-job", 1, 1, 0));
        Assert.Empty(after.Clear().Held);
    }

    [Fact]
    public void Past_its_capacity_the_oldest_commitment_is_let_go()
    {
        var held = new CommittedShards(capacity: 2).Hold(Shard(0), out _).Hold(Shard(1), out _);

        held = held.Hold(Shard(2), out var dropped);

        Assert.Equal(0, dropped!.Assignment.Shard);
        Assert.Equal([1, 2], held.Held.Select(c => c.Assignment.Shard));
    }

    [Fact]
    public void Committing_the_same_attempt_again_replaces_it_and_drops_nothing()
    {
        var held = new CommittedShards(capacity: 2).Hold(Shard(0), out _).Hold(Shard(1), out _);
        var again = Shard(1);

        held = held.Hold(again, out var dropped);

        Assert.Null(dropped);
        Assert.Equal([0, 1], held.Held.Select(c => c.Assignment.Shard));
        Assert.Same(again, held.Held[1]);
    }
}

using Akka.Actor;
using Akka.Configuration;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Edge;
using Gensyn.Edge.Client;

namespace Gensyn.Tests.Edge;

/// <summary>The update blob pushed with an assignment: which blobs the edge pushes, and how the worker's link keeps
/// them.</summary>
public class PushedBlobsTests
{
    [Fact]
    public void A_pushed_blob_answers_one_fetch_and_the_next_goes_to_the_edge()
    {
        var pushed = new PushedBlobs();
        byte[] bytes = [1, 2, 3];
        var hash = Sha256Digest.Of(bytes);

        Assert.True(pushed.Offer(hash, bytes));

        Assert.Equal(bytes, pushed.Take(hash, long.MaxValue));
        Assert.Null(pushed.Take(hash, long.MaxValue));
        Assert.Equal(1, pushed.Taken);
    }

    [Fact]
    public void The_link_keeps_at_most_its_capacity_of_pushed_blobs_and_lets_the_oldest_go()
    {
        var pushed = new PushedBlobs();
        var blobs = Enumerable.Range(0, PushedBlobs.Capacity + 1).Select(i => new[] { (byte)i }).ToList();

        foreach (var blob in blobs) Assert.True(pushed.Offer(Sha256Digest.Of(blob), blob));

        Assert.Null(pushed.Take(Sha256Digest.Of(blobs[0]), long.MaxValue));
        Assert.All(blobs.Skip(1), blob => Assert.Equal(blob, pushed.Take(Sha256Digest.Of(blob), long.MaxValue)));
    }

    [Fact]
    public async Task The_edge_pushes_a_blob_its_store_holds_up_to_push_max_size_and_no_other()
    {
        using var root = new TempDirectory();
        var system = ActorSystem.Create("pushable",
            ConfigurationFactory.ParseString("gensyn.blobs.push-max-size = 4k"));
        try
        {
            var store = new BlobStore(root.File("blobs"));
            var edge = new EdgeContext(system, ActorRefs.Nobody, ActorRefs.Nobody, store, "fingerprint");
            var small = store.Put(new byte[4096]);
            var large = store.Put(new byte[4097]);

            Assert.Equal(4096, edge.Pushable(small)?.Length);
            Assert.Null(edge.Pushable(large));
            Assert.Null(edge.Pushable(Sha256Digest.Of([1])));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_push_max_size_of_zero_pushes_nothing()
    {
        using var root = new TempDirectory();
        var system = ActorSystem.Create("unpushed", ConfigurationFactory.ParseString("gensyn.blobs.push-max-size = 0"));
        try
        {
            var store = new BlobStore(root.File("blobs"));
            var edge = new EdgeContext(system, ActorRefs.Nobody, ActorRefs.Nobody, store, "fingerprint");

            Assert.Null(edge.Pushable(store.Put([1, 2, 3])));
        }
        finally
        {
            await system.Terminate();
        }
    }
}

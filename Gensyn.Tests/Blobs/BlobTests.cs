using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Blobs;

public class BlobTests
{
    [Fact]
    public void A_blob_is_named_by_its_hash_and_read_back_intact()
    {
        using var temp = new TempDirectory();
        var store = new BlobStore(temp.Path);
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var hash = store.Put(bytes);
        Assert.Equal(Sha256Digest.Of(bytes), hash);
        Assert.Equal(bytes, store.Get(hash));
    }

    [Fact]
    public void Bytes_that_do_not_hash_to_the_given_name_are_refused()
    {
        using var temp = new TempDirectory();
        var store = new BlobStore(temp.Path);
        var claimed = Sha256Digest.Of([1, 2, 3]);
        var e = Assert.Throws<BlobException>(() => store.Put(claimed, [4, 5, 6]));
        Assert.Contains("refused", e.Message);
        Assert.False(store.Contains(claimed));
    }

    [Fact]
    public void A_bit_flipped_blob_on_disk_is_detected_removed_and_never_returned()
    {
        using var temp = new TempDirectory();
        var store = new BlobStore(temp.Path);
        var hash = store.Put(new byte[4096]);
        var path = store.PathOf(hash);
        var corrupt = File.ReadAllBytes(path);
        corrupt[100] ^= 0x10;
        File.WriteAllBytes(path, corrupt);
        var e = Assert.Throws<BlobException>(() => store.Get(hash));
        Assert.Contains("corrupt", e.Message);
        Assert.False(store.Contains(hash));
    }

    [Fact]
    public async Task A_blob_store_actor_refuses_an_upload_whose_bytes_do_not_match_its_hash_and_accepts_an_honest_one()
    {
        using var temp = new TempDirectory();
        using var system = ActorSystem.Create("blobs", NodeConfig.Remote(serializeMessages: true));
        var materializer = system.Materializer();
        var store = new BlobStore(temp.Path);
        var actor = system.ActorOf(BlobActor.Props(store));
        var honest = new byte[200_000];
        new Random(3).NextBytes(honest);
        var hash = Sha256Digest.Of(honest);

        var forged = new byte[honest.Length];
        var forgedOffer = await BlobTransfer.Offer(hash, forged, materializer);
        var refused = await actor.Ask<IGensynMessage>(forgedOffer, TimeSpan.FromSeconds(10));
        var reason = Assert.IsType<BlobRefused>(refused).Reason;
        Assert.Contains("hash to", reason);
        Assert.False(store.Contains(hash));

        await BlobTransfer.Upload(actor, hash, honest, materializer, TimeSpan.FromSeconds(10));
        Assert.Equal(honest, store.Get(hash));
        using var elsewhere = new TempDirectory();
        var copy = new BlobStore(elsewhere.Path);
        await BlobTransfer.FetchInto(actor, hash, copy, materializer, TimeSpan.FromSeconds(10));
        Assert.Equal(honest, copy.Get(hash));
    }

    [Fact]
    public async Task A_transfer_that_sends_more_bytes_than_declared_is_refused()
    {
        using var temp = new TempDirectory();
        using var system = ActorSystem.Create("blobs", NodeConfig.Remote());
        var materializer = system.Materializer();
        var store = new BlobStore(temp.Path);
        var bytes = new byte[1000];
        var source = await Source.Single(ByteString.FromBytes(bytes)).RunWith(StreamRefs.SourceRef<ByteString>(), materializer);
        var e = await Assert.ThrowsAsync<BlobException>(() => BlobTransfer.ReceiveInto(new BlobOffer(Sha256Digest.Of(bytes), 10, source), store, materializer));
        Assert.Contains("more than its declared", e.Message);
        Assert.False(store.Contains(Sha256Digest.Of(bytes)));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Fetching_a_blob_the_store_lacks_says_so()
    {
        using var temp = new TempDirectory();
        using var system = ActorSystem.Create("blobs", NodeConfig.Remote());
        var actor = system.ActorOf(BlobActor.Props(new BlobStore(temp.Path)));
        var e = await Assert.ThrowsAsync<BlobException>(() => BlobTransfer.FetchInto(actor, Sha256Digest.Of([9]), new BlobStore(temp.Path), system.Materializer(), TimeSpan.FromSeconds(10)));
        Assert.Contains("is not at", e.Message);
    }
}

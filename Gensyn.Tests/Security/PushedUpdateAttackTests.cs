using Gensyn.Contracts;
using Gensyn.Edge.Client;

namespace Gensyn.Tests.Security;

/// <summary>
/// An edge (or anything on the path to it) pushes an assignment's update blob down the worker's stream. A worker takes
/// pushed bytes only for the hash the assignment names and only when they hash to it: forged bytes never reach the
/// start-state rebuild, and the worker fetches the blob as if nothing had been pushed.
/// </summary>
public class PushedUpdateAttackTests
{
    private static readonly byte[] Update = [1, 2, 3, 4];
    private static readonly Sha256Digest UpdateHash = Sha256Digest.Of(Update);

    [Fact]
    public void Pushed_bytes_that_do_not_hash_to_the_update_they_name_are_refused_and_never_handed_to_a_fetch()
    {
        var pushed = new PushedBlobs();

        Assert.False(pushed.Offer(UpdateHash, [6, 6, 6]));

        Assert.Null(pushed.Take(UpdateHash, long.MaxValue));
        Assert.Equal(0, pushed.Taken);
    }

    [Fact]
    public void Pushed_bytes_serve_only_the_hash_they_were_pushed_for_and_only_within_the_size_a_fetch_allows()
    {
        var pushed = new PushedBlobs();
        Assert.True(pushed.Offer(UpdateHash, Update));

        // A fetch of another blob (the start state, a checkpoint) is not answered with the update's bytes.
        Assert.Null(pushed.Take(Sha256Digest.Of([9]), long.MaxValue));
        // A dataset chunk's fetch announces its size: longer pushed bytes are not handed out.
        Assert.Null(pushed.Take(UpdateHash, Update.Length - 1));

        Assert.Equal(Update, pushed.Take(UpdateHash, Update.Length));
    }
}

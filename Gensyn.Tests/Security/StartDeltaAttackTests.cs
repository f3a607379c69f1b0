using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Training;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Outer;

namespace Gensyn.Tests.Security;

/// <summary>
/// A start-state delta is only a way to avoid a download: whatever the delta says, the worker trains from bytes that
/// hash to the assigned start state. A delta whose rebuilt state does not hash to it (a forged update blob, an end
/// state that is not the worker's) falls back to the full fetch.
/// </summary>
public sealed class StartDeltaAttackTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<Sha256Digest, byte[]> _coordinator = [];
    private readonly List<Sha256Digest> _fetched = [];

    public void Dispose() => _dir.Dispose();

    private Sha256Digest Serve(byte[] bytes)
    {
        var hash = Sha256Digest.Of(bytes);
        _coordinator[hash] = bytes;
        return hash;
    }

    private Task<byte[]> Fetch(Sha256Digest hash, CancellationToken _)
    {
        _fetched.Add(hash);
        return _coordinator.TryGetValue(hash, out var bytes) ? Task.FromResult(bytes)
            : throw new BlobException($"blob {hash} is not served");
    }

    private static ShardAssignment Assignment(Sha256Digest start, StartStateDelta? delta) =>
        new((JobId)"job-0123abcd", 2, 0, 1, SpecRef.Of("name: x"), "", start, 1, ActorRefs.Nobody, ActorRefs.Nobody,
            Delta: delta);

    /// <summary>A worker that trained shard 0 last round: it holds that round's start and end states.</summary>
    private (BlobStore Store, StartDeltaTests.Round Round, Sha256Digest Start, Sha256Digest LastStart,
        Sha256Digest LastEnd) Worker()
    {
        var round = StartDeltaTests.Make(OuterCompressionSpec.Default);
        var store = new BlobStore(_dir.File("blobs"));
        var lastStart = store.Put(CheckpointFile.Serialize(round.Starts[0]));
        var lastEnd = store.Put(CheckpointFile.Serialize(round.Ends[0]));
        return (store, round, Serve(round.NextStart(0)), lastStart, lastEnd);
    }

    [Fact]
    public async Task An_honest_delta_is_rebuilt_without_fetching_the_start_state()
    {
        var (store, round, start, lastStart, lastEnd) = Worker();
        var update = Serve(round.Outer.Update);

        var (bytes, rebuilt) = await StartStates.GetAsync(Assignment(start, new(update, lastStart, lastEnd)),
            StartDeltaTests.Round.Step, store, Fetch, CancellationToken.None);

        Assert.True(rebuilt);
        Assert.Equal(start, Sha256Digest.Of(bytes));
        Assert.Equal(new[] { update }, _fetched);
        Assert.True(store.Contains(start));
    }

    [Fact]
    public async Task A_forged_update_blob_falls_back_to_the_full_start_state()
    {
        var (store, round, start, lastStart, lastEnd) = Worker();
        var forged = (byte[])round.Outer.Update.Clone();
        forged[^1] ^= 0x01;
        var update = Serve(forged);

        var (bytes, rebuilt) = await StartStates.GetAsync(Assignment(start, new(update, lastStart, lastEnd)),
            StartDeltaTests.Round.Step, store, Fetch, CancellationToken.None);

        Assert.False(rebuilt);
        Assert.Equal(round.NextStart(0), bytes);
        Assert.Equal(new[] { update, start }, _fetched);
    }

    [Fact]
    public async Task A_delta_naming_another_shards_end_state_falls_back_to_the_full_start_state()
    {
        var (store, round, start, lastStart, _) = Worker();
        var otherEnd = store.Put(CheckpointFile.Serialize(round.Ends[1]));
        var update = Serve(round.Outer.Update);

        var (bytes, rebuilt) = await StartStates.GetAsync(Assignment(start, new(update, lastStart, otherEnd)),
            StartDeltaTests.Round.Step, store, Fetch, CancellationToken.None);

        Assert.False(rebuilt);
        Assert.Equal(round.NextStart(0), bytes);
    }

    [Fact]
    public async Task A_worker_without_the_last_states_or_the_update_fetches_the_full_start_state()
    {
        var (store, round, start, lastStart, _) = Worker();
        var missing = Sha256Digest.Of("not held"u8.ToArray());

        var (bytes, rebuilt) = await StartStates.GetAsync(Assignment(start, new(missing, lastStart, missing)),
            StartDeltaTests.Round.Step, store, Fetch, CancellationToken.None);
        var (again, rebuiltAgain) = await StartStates.GetAsync(
            Assignment(start, new(missing, lastStart, lastStart)), StartDeltaTests.Round.Step, store, Fetch,
            CancellationToken.None);

        Assert.False(rebuilt || rebuiltAgain);
        Assert.Equal(round.NextStart(0), bytes);
        Assert.Equal(round.NextStart(0), again);
    }
}

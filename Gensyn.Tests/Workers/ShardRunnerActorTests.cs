using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using System.Text;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Xunit.Abstractions;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The worker's shard runner, with probes for the challenge responder and the shard's actor, and a link whose blobs
/// the spec controls (by default they never arrive, so a shard stays running).
/// </summary>
public sealed class ShardRunnerActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory _dir = new();
    private readonly TestProbe _responder;
    private readonly TestProbe _shard;

    public ShardRunnerActorTests(ITestOutputHelper output) : base(output: output)
    {
        _responder = CreateTestProbe("challenges");
        _shard = CreateTestProbe("shard");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    private static readonly string SpecYaml = TestSpecs.SyntheticYaml();
    private static readonly SpecRef Spec = SpecRef.Of(SpecYaml);

    private ShardAssignment Assignment(int shard) =>
        new((JobId)"runner-job", 2, shard, 0, Spec, "/data", Sha256Digest.Of([(byte)shard]), 1, _shard.Ref,
            ActorRefs.Nobody);

    private (IActorRef Runner, WorkerCompute Compute) StartRunner(FakeCoordinatorLink link)
    {
        var options = new WorkerOptions((WorkerId)"runner", [], _dir.Path, Threads: 1, PricePerHour: 0.2);
        var compute = new WorkerCompute(options, link);
        return (Sys.ActorOf(ShardRunnerActor.Props(compute, _responder.Ref)), compute);
    }

    [Fact]
    public void A_worker_busy_with_a_shard_refuses_another_and_says_which_it_holds()
    {
        var (runner, compute) = StartRunner(new FakeCoordinatorLink());
        using var _ = compute;
        runner.Tell(Assignment(0));
        // A new assignment leaves the shards committed before held: their challenges may still come.
        _responder.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        runner.Tell(Assignment(1));
        var refused = _shard.ExpectMsg<ShardFailed>();
        Assert.Equal((1, "runner"), (refused.Shard, refused.WorkerId));
        Assert.Equal("busy with runner-job round 2 shard 0", refused.Reason);
    }

    [Fact]
    public void An_abandoned_shard_frees_the_worker_for_the_next_one()
    {
        var (runner, compute) = StartRunner(new FakeCoordinatorLink());
        using var _ = compute;
        runner.Tell(Assignment(0));
        runner.Tell(new AbandonShard((JobId)"runner-job", 2, 0, 0));

        runner.Tell(Assignment(1));
        runner.Tell(Assignment(2));
        Assert.Equal("busy with runner-job round 2 shard 1", _shard.ExpectMsg<ShardFailed>().Reason);
    }

    /// <summary>The worker's DATA_DIR/worker-state.json.</summary>
    private System.Text.Json.JsonElement WorkerState()
    {
        var file = Path.Combine(_dir.Path, WorkerShardState.FileName);
        using var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        return state.RootElement.Clone();
    }

    private static int[] Shards(System.Text.Json.JsonElement state, string list) =>
        state.GetProperty(list).EnumerateArray().Select(r => r.GetProperty("shard").GetInt32()).ToArray();

    [Fact]
    public void The_worker_state_shows_the_shard_it_runs_and_an_abandoned_run_as_stopped_not_completed()
    {
        var (runner, compute) = StartRunner(new FakeCoordinatorLink());
        using var _ = compute;
        runner.Tell(Assignment(0));
        AwaitAssert(() => Assert.Equal(0, WorkerState().GetProperty("current").GetProperty("shard").GetInt32()));

        runner.Tell(new AbandonShard((JobId)"runner-job", 2, 0, 0));
        AwaitAssert(() =>
        {
            var state = WorkerState();
            Assert.Equal(System.Text.Json.JsonValueKind.Null, state.GetProperty("current").ValueKind);
            Assert.Equal([0], Shards(state, "stopped"));
            Assert.Empty(Shards(state, "completed"));
            Assert.Equal("runner", state.GetProperty("workerId").GetString());
        });
    }

    [Fact]
    public void A_failed_run_is_neither_completed_nor_stopped_in_the_worker_state()
    {
        var link = new FakeCoordinatorLink
        {
            Fetch = (_, _) => Task.FromException<byte[]>(new IOException("blob gone")),
        };
        var (runner, compute) = StartRunner(link);
        using var _ = compute;
        runner.Tell(Assignment(0));
        _shard.ExpectMsg<ShardFailed>();

        AwaitAssert(() =>
        {
            var state = WorkerState();
            Assert.Equal(System.Text.Json.JsonValueKind.Null, state.GetProperty("current").ValueKind);
            Assert.Empty(Shards(state, "stopped"));
            Assert.Empty(Shards(state, "completed"));
        });
    }

    [Fact]
    public void A_start_state_that_cannot_be_fetched_fails_the_shard_with_the_reason()
    {
        var link = new FakeCoordinatorLink
        {
            Fetch = (hash, _) => hash == Spec.Hash
                ? Task.FromResult(Encoding.UTF8.GetBytes(SpecYaml))
                : Task.FromException<byte[]>(new IOException("blob gone")),
        };
        var (runner, compute) = StartRunner(link);
        using var _ = compute;
        runner.Tell(Assignment(0));

        var failed = _shard.ExpectMsg<ShardFailed>();
        Assert.Equal((0, "blob gone"), (failed.Shard, failed.Reason));
        // Free again: the next shard is taken, not refused as busy.
        runner.Tell(Assignment(1));
        Assert.Equal("blob gone", _shard.ExpectMsg<ShardFailed>().Reason);
    }
}

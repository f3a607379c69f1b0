using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Wire;

namespace Gensyn.Tests.Edge;

/// <summary>Every message of the worker session survives the trip through its protobuf form, and malformed ones are refused.</summary>
public class WorkerWireTests
{
    private static readonly Sha256Digest A = Sha256Digest.Of([1]);
    private static readonly Sha256Digest B = Sha256Digest.Of([2]);

    public static TheoryData<IGensynMessage> WorkerMessages() =>
    [
        new ShardProgress((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", 17, 0.5f),
        new ShardCheckpointed((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", 50, A),
        new ShardCheckpointed((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", 50, A, "0xsig"),
        new ShardResult((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", A, B, [0.1f, float.NaN], "0xsig", 1.5, "salt"),
        new ShardResult((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", A, B, [], "0xsig"),
        new ShardFailed((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", "out of memory"),
        new StepsOpened((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", [new OpenedLeaf(4, A, new LeafProof(4, 9, [A, B]), B, "0xs"), new OpenedLeaf(5, B, new LeafProof(5, 9, []), null, null)]),
        new ShardSealed((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", A),
        new BisectReply((JobId)"job-00000001", 1, 2, 3, (WorkerId)"w", BisectStep.Leaf, A, null, B, new LeafProof(1, 2, [A])),
    ];

    [Theory]
    [MemberData(nameof(WorkerMessages))]
    public void A_worker_message_reads_back_as_sent_under_the_sessions_worker_id(IGensynMessage message)
    {
        var read = WorkerWire.FromWire(WorkerWire.ToWire(message), (WorkerId)"w");
        Assert.Equal(EdgeJson.Write((object)message), EdgeJson.Write((object)read));
        // Whatever id the worker would name, the session's own id is the one the cluster sees.
        var renamed = WorkerWire.FromWire(WorkerWire.ToWire(message), (WorkerId)"session-id");
        Assert.Contains("\"workerId\":\"session-id\"", EdgeJson.Write((object)renamed));
    }

    [Fact]
    public void Edge_messages_read_back_as_sent_with_replies_addressed_to_the_workers_outbox()
    {
        var outbox = ActorRefs.Nobody;
        var assignment = new ShardAssignment((JobId)"job-00000001", 1, 2, 3, SpecRef.Of("name: x"), "/tmp", A, 1234, ActorRefs.Nobody, ActorRefs.Nobody, B);
        var read = Assert.IsType<ShardAssignment>(WorkerWire.FromWire(WorkerWire.ToWire(assignment), outbox));
        Assert.Equal(assignment with { ShardActor = outbox, Blobs = ActorRefs.Nobody }, read);
        var open = new OpenSteps((JobId)"j", 1, 2, 3, [4, 5], true);
        Assert.Equal(EdgeJson.Write(open), EdgeJson.Write(Assert.IsType<OpenSteps>(WorkerWire.FromWire(WorkerWire.ToWire(open), outbox))));
        Assert.Equal(new RevealShard((JobId)"j", 1, 2, 3), WorkerWire.FromWire(WorkerWire.ToWire(new RevealShard((JobId)"j", 1, 2, 3)), outbox));
        Assert.Equal(new AbandonShard((JobId)"j", 1, 2, 3), WorkerWire.FromWire(WorkerWire.ToWire(new AbandonShard((JobId)"j", 1, 2, 3)), outbox));
        Assert.Equal(new BisectQuery((JobId)"j", 1, 2, 3, BisectStep.Children, 2, 1), WorkerWire.FromWire(WorkerWire.ToWire(new BisectQuery((JobId)"j", 1, 2, 3, BisectStep.Children, 2, 1)), outbox));
    }

    [Fact]
    public void A_start_state_delta_reads_back_as_sent_and_an_assignment_without_one_reads_without_one()
    {
        var outbox = ActorRefs.Nobody;
        var plain = new ShardAssignment((JobId)"job-00000001", 1, 2, 3, SpecRef.Of("name: x"), "/tmp", A, 1234,
            ActorRefs.Nobody, ActorRefs.Nobody);
        var delta = plain with { Delta = new StartStateDelta(B, A, B) };

        Assert.Equal(delta, WorkerWire.FromWire(WorkerWire.ToWire(delta), outbox));
        Assert.Null(Assert.IsType<ShardAssignment>(WorkerWire.FromWire(WorkerWire.ToWire(plain), outbox)).Delta);
        var partial = WorkerWire.ToWire(delta);
        partial.Assignment.DeltaLastEnd = Google.Protobuf.ByteString.Empty;
        Assert.Null(Assert.IsType<ShardAssignment>(WorkerWire.FromWire(partial, outbox)).Delta);
    }

    [Fact]
    public void An_update_pushed_with_an_assignment_travels_beside_its_hash_and_only_with_a_delta()
    {
        var plain = new ShardAssignment((JobId)"job-00000001", 1, 2, 3, SpecRef.Of("name: x"), "/tmp", A, 1234,
            ActorRefs.Nobody, ActorRefs.Nobody);
        var bytes = Google.Protobuf.ByteString.CopyFrom(7, 8, 9);

        var pushed = WorkerWire.ToWire(plain with { Delta = new StartStateDelta(B, A, B) }, bytes).Assignment;
        var (hash, read) = WorkerWire.PushedUpdate(pushed) ?? throw new Xunit.Sdk.XunitException("nothing pushed");
        Assert.Equal(B, hash);
        Assert.Equal([7, 8, 9], read.ToArray());
        // No delta, nothing to rebuild from: the bytes stay behind. No bytes: nothing pushed.
        Assert.True(WorkerWire.ToWire(plain, bytes).Assignment.DeltaUpdateBytes.IsEmpty);
        var withoutBytes = WorkerWire.ToWire(plain with { Delta = new StartStateDelta(B, A, B) }).Assignment;
        Assert.Null(WorkerWire.PushedUpdate(withoutBytes));
    }

    [Fact]
    public void A_hash_of_the_wrong_length_a_missing_shard_or_an_unknown_bisection_step_is_refused()
    {
        var result = WorkerWire.ToWire(new ShardResult((JobId)"j", 1, 2, 3, (WorkerId)"w", A, B, [], "0xsig"));
        result.Result.EndState = Google.Protobuf.ByteString.CopyFrom(1, 2, 3, 4, 5);
        Assert.Contains("end_state", Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(result, (WorkerId)"w")).Message);

        var progress = WorkerWire.ToWire(new ShardProgress((JobId)"j", 1, 2, 3, (WorkerId)"w", 1, 0));
        progress.Progress.Shard = null;
        Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(progress, (WorkerId)"w"));

        var bisect = WorkerWire.ToWire(new BisectReply((JobId)"j", 1, 2, 3, (WorkerId)"w", BisectStep.Top, A, null, null, null));
        bisect.BisectReply.Step = (Gensyn.Edge.V1.BisectStep)7;
        Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(bisect, (WorkerId)"w"));

        Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(new Gensyn.Edge.V1.WorkerMessage(), (WorkerId)"w"));
    }

    [Theory]
    [InlineData(RefusalKind.Temporary)]
    [InlineData(RefusalKind.Convicted)]
    [InlineData(RefusalKind.Invalid)]
    public void A_refusal_reads_back_with_its_kind(RefusalKind kind)
    {
        var refused = new WorkerRefused((WorkerId)"w", "key 0xabc is convicted", kind);
        Assert.Equal(refused, WorkerWire.FromWire(WorkerWire.ToWire(refused).Refused));
    }

    [Fact]
    public void A_refusal_from_an_older_edge_or_of_an_unknown_kind_is_temporary_so_the_worker_keeps_registering()
    {
        var old = new Gensyn.Edge.V1.Refused { WorkerId = "w", Reason = "stake not yet on chain" };
        Assert.Equal(RefusalKind.Temporary, WorkerWire.FromWire(old).Kind);
        // An older edge writes no field 3 at all: the bytes of its refusal read the same.
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(old);
        Assert.Equal(RefusalKind.Temporary, WorkerWire.FromWire(Gensyn.Edge.V1.Refused.Parser.ParseFrom(bytes)).Kind);
        var unknown = new Gensyn.Edge.V1.Refused
        {
            WorkerId = "w", Reason = "new", Kind = (Gensyn.Edge.V1.RefusalKind)9,
        };
        Assert.False(WorkerWire.FromWire(unknown).Final);
    }
}

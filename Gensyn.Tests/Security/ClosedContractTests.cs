using Gensyn.Contracts;
using Gensyn.Edge.Wire;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using M = Gensyn.Contracts.Messages;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// C1, C2, C4 by construction: the edge's contract is a closed set of requests, and none of them can carry an internal message. Under the
/// old design a worker or requester could Tell any actor any record (a ShardVerdict, a RefereeVerdict, StartJob, RequestWorker,
/// WorkerJudged, a SettlementOrder); these tests fail as soon as the contract grows a way to say one of those.
/// </summary>
public class ClosedContractTests
{
    /// <summary>Words no part of a client's request may contain (lower case, underscores removed).</summary>
    private static readonly string[] Internal =
    [
        "verdict", "referee", "grant", "startjob", "settle", "judg", "requestworker", "releaseworker", "slash", "payout", "payer", "owner",
        "culprit", "fraud",
    ];

    private static IEnumerable<MethodDescriptor> EdgeMethods => V1.RequesterEdge.Descriptor.Methods.Concat(V1.WorkerEdge.Descriptor.Methods);

    /// <summary>Every message type a client can put on the wire: each method's input and, transitively, the types of its fields.</summary>
    private static Dictionary<string, MessageDescriptor> ClientWritable()
    {
        var found = new Dictionary<string, MessageDescriptor>();
        var pending = new Stack<MessageDescriptor>(EdgeMethods.Select(m => m.InputType));
        while (pending.TryPop(out var message))
        {
            if (!found.TryAdd(message.FullName, message)) continue;
            foreach (var field in message.Fields.InDeclarationOrder())
                if (field.FieldType == FieldType.Message) pending.Push(field.MessageType);
        }
        return found;
    }

    private static string Normal(string name) => name.Replace("_", "").ToLowerInvariant();

    [Fact]
    public void No_message_a_client_can_send_names_a_verdict_grant_StartJob_settlement_order_or_worker_judgement()
    {
        var writable = ClientWritable();
        var names = new List<string>();
        foreach (var message in writable.Values)
        {
            names.Add(message.Name);
            foreach (var field in message.Fields.InDeclarationOrder())
            {
                names.Add($"{message.Name}.{field.Name}");
                if (field.FieldType == FieldType.Enum) names.AddRange(field.EnumType.Values.Select(v => $"{field.EnumType.Name}.{v.Name}"));
            }
        }
        var offending = names.Where(n => Internal.Any(word => Normal(n).Contains(word, StringComparison.Ordinal))).ToList();
        Assert.True(offending.Count == 0, $"a client can send: {string.Join(", ", offending)}");
        Assert.Contains("WorkerMessage.result", names);   // the walk reaches the session's messages
        // The edge's pushes to a worker (assignments, challenges) are never something a client sends.
        Assert.DoesNotContain(V1.EdgeMessage.Descriptor.FullName, writable.Keys);
        Assert.DoesNotContain(V1.ShardAssignment.Descriptor.FullName, writable.Keys);
        Assert.DoesNotContain(V1.OpenSteps.Descriptor.FullName, writable.Keys);
    }

    [Fact]
    public void The_worker_session_carries_only_the_workers_own_reports()
    {
        var session = V1.WorkerEdge.Descriptor.FindMethodByName("Session");
        Assert.Equal(V1.WorkerMessage.Descriptor, session.InputType);
        Assert.Equal(V1.EdgeMessage.Descriptor, session.OutputType);
        var body = Assert.Single(V1.WorkerMessage.Descriptor.Oneofs);
        Assert.Equal(["hello", "progress", "checkpointed", "result", "failed", "opened", "sealed", "bisect_reply"], body.Fields.Select(f => f.Name));
        Assert.Equal(body.Fields.Count, V1.WorkerMessage.Descriptor.Fields.InDeclarationOrder().Count);
    }

    [Fact]
    public void Every_requester_call_takes_a_request_of_its_own_and_none_takes_a_job_record()
    {
        Assert.Equal(
            ["GetNetworkRequest", "SpecRequest", "SubmitRequest", "ListJobsRequest", "JobRequest", "LogRequest", "CancelRequest", "AuditRequest",
             "ResultRequest",
             "BlobChunk", "BlobStatusRequest", "MissingBlobsRequest", "DatasetManifestRequest", "ListWorkersRequest", "GetMarketRequest",
             "DashboardSessionRequest"],
            V1.RequesterEdge.Descriptor.Methods.Select(m => m.InputType.Name));
    }

    /// <summary>One well-formed sample of each kind of worker message (a new kind fails the next test until it is classified here).</summary>
    private static Dictionary<V1.WorkerMessage.BodyOneofCase, V1.WorkerMessage> Samples()
    {
        var shard = WorkerWire.Ref("job-0000abcd", 1, 2, 3);
        var proof = new V1.LeafProof { Index = 0, LeafCount = 2, Siblings = { RawSession.RandomHash() } };
        return new()
        {
            [V1.WorkerMessage.BodyOneofCase.Hello] = new() { Hello = new V1.Hello { WorkerId = "w" } },
            [V1.WorkerMessage.BodyOneofCase.Progress] = new() { Progress = new V1.ShardProgress { Shard = shard, Step = 1, Loss = 0.5f } },
            [V1.WorkerMessage.BodyOneofCase.Checkpointed] = new() { Checkpointed = new V1.ShardCheckpointed { Shard = shard, LocalStep = 2, Checkpoint = RawSession.RandomHash() } },
            [V1.WorkerMessage.BodyOneofCase.Result] = new() { Result = new V1.ShardResult { Shard = shard, EndState = RawSession.RandomHash(), MerkleRoot = RawSession.RandomHash(), Signature = "0x00" } },
            [V1.WorkerMessage.BodyOneofCase.Failed] = new() { Failed = new V1.ShardFailed { Shard = shard, Reason = "x" } },
            [V1.WorkerMessage.BodyOneofCase.Opened] = new() { Opened = new V1.StepsOpened { Shard = shard, Leaves = { new V1.OpenedLeaf { Leaf = 0, Digest = RawSession.RandomHash(), Proof = proof } } } },
            [V1.WorkerMessage.BodyOneofCase.Sealed] = new() { Sealed = new V1.ShardSealed { Shard = shard, Seal = RawSession.RandomHash() } },
            [V1.WorkerMessage.BodyOneofCase.BisectReply] = new() { BisectReply = new V1.BisectReply { Shard = shard, Step = V1.BisectStep.BisectLeaf, Before = RawSession.RandomHash(), BeforeProof = proof } },
        };
    }

    [Fact]
    public void A_worker_message_reads_only_as_one_of_the_workers_own_reports_under_the_sessions_worker_id()
    {
        Type[] reports = [typeof(M.ShardProgress), typeof(M.ShardCheckpointed), typeof(M.ShardResult), typeof(M.ShardFailed), typeof(M.StepsOpened), typeof(M.ShardSealed), typeof(M.BisectReply)];
        var samples = Samples();
        Assert.Equal(Enum.GetValues<V1.WorkerMessage.BodyOneofCase>().Where(c => c != V1.WorkerMessage.BodyOneofCase.None).Order(), samples.Keys.Order());
        var read = new List<Type>();
        foreach (var (kind, message) in samples)
        {
            if (kind == V1.WorkerMessage.BodyOneofCase.Hello)
            {
                Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(message, (WorkerId)"session-id"));
                continue;
            }
            var record = WorkerWire.FromWire(message, (WorkerId)"session-id");
            Assert.Contains(record.GetType(), reports);
            read.Add(record.GetType());
            // The sender is always the session's worker, whatever the worker writes.
            Assert.Equal((WorkerId)"session-id", Assert.IsType<WorkerId>(record.GetType().GetProperty("WorkerId")!.GetValue(record)));
        }
        Assert.Equal(reports.Order(Comparer<Type>.Create((a, b) => string.CompareOrdinal(a.Name, b.Name))),
            read.Order(Comparer<Type>.Create((a, b) => string.CompareOrdinal(a.Name, b.Name))));
        Assert.Throws<EdgeInputException>(() => WorkerWire.FromWire(new V1.WorkerMessage(), (WorkerId)"session-id"));
    }

    /// <summary>C4: nothing at the edge becomes one of the scheduler's internal messages.</summary>
    [Fact]
    public void No_edge_request_reads_as_RequestWorker_WorkerJudged_ReleaseWorker_or_a_grant()
    {
        Type[] scheduler = [typeof(M.RequestWorker), typeof(M.WorkerJudged), typeof(M.WorkerThroughputObserved), typeof(M.ReleaseWorker), typeof(M.WorkerGranted), typeof(M.ShardVerdict), typeof(M.RefereeVerdict)];
        foreach (var message in Samples().Values.Where(m => m.BodyCase != V1.WorkerMessage.BodyOneofCase.Hello))
            Assert.DoesNotContain(WorkerWire.FromWire(message, (WorkerId)"w").GetType(), scheduler);
        var writable = ClientWritable().Values.Select(m => Normal(m.Name)).ToList();
        foreach (var name in scheduler.Select(t => Normal(t.Name)))
            Assert.DoesNotContain(name, writable);
    }
}

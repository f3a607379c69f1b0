using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Wire;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Node.Cli;

/// <summary>The edge calls a packed dataset's submission makes (docs/concepts/datasets.md, "Submitting").</summary>
public sealed partial class CoordinatorClient
{
    /// <summary>Hashes asked about per MissingBlobs call: well under the edge's limit
    /// (gensyn.edge.limits.missing-blobs-per-call).</summary>
    public const int MissingBlobsBatch = 1024;

    /// <summary>Which of <paramref name="hashes"/> the coordinator does not hold whole, each with the bytes of it
    /// already received, in batches of <see cref="MissingBlobsBatch"/>; or the refusal.</summary>
    public async Task<(IGensynMessage? Failure, IReadOnlyList<(Sha256Digest Hash, long Received)> Missing)>
        MissingBlobs(IReadOnlyList<Sha256Digest> hashes)
    {
        var (connection, network) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        var missing = new List<(Sha256Digest, long)>();
        try
        {
            foreach (var batch in hashes.Chunk(MissingBlobsBatch))
            {
                var call = new V1.MissingBlobsRequest();
                call.Hashes.AddRange(batch.Select(h => WorkerWire.Bytes(h)));
                var reply = await edge.MissingBlobsAsync(call, Signed("MissingBlobs", call, network, connection, createWallet: false),
                                                         DateTime.UtcNow + DefaultTimeout);
                missing.AddRange(reply.Missing.Select(m => (WorkerWire.Digest(m.Hash, "hash"), m.Received)));
            }
            return (null, missing);
        }
        catch (RpcException e)
        {
            return (Refusal(e, connection, null, DefaultTimeout), []);
        }
    }

    /// <summary>The manifest digest of the built-in dataset <paramref name="name"/> the coordinator serves (it may pack
    /// it first, within <paramref name="timeout"/>); or its refusal, e.g. when it has no MNIST.</summary>
    public async Task<(IGensynMessage? Failure, Sha256Digest Digest)> DatasetManifest(string name, TimeSpan timeout)
    {
        var (connection, _) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        try
        {
            var reply = await edge.DatasetManifestAsync(new V1.DatasetManifestRequest { Name = name },
                                                        deadline: DateTime.UtcNow + timeout);
            return (null, WorkerWire.Digest(reply.Digest, "digest"));
        }
        catch (RpcException e)
        {
            return (Refusal(e, connection, null, timeout), default);
        }
    }
}

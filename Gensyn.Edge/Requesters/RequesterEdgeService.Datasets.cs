using Gensyn.Actors.Datasets;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Wire;
using Gensyn.Training.Data;
using Grpc.Core;
using Status = Grpc.Core.Status;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Requesters;

/// <summary>
/// Packed datasets at the requesters' door (docs/concepts/datasets.md, "Submitting"): which of a dataset's blobs this
/// coordinator lacks, the manifest of a built-in dataset it serves, and the check that a submitted job's data is all
/// here before anything is deposited or journalled.
/// </summary>
public sealed partial class RequesterEdgeService
{
    /// <summary>The hashes of <paramref name="request"/> this edge does not hold whole, each with the bytes of it
    /// already received, in the order asked.</summary>
    public override async Task<V1.MissingBlobsReply> MissingBlobs(V1.MissingBlobsRequest request,
                                                                  ServerCallContext context)
    {
        await Caller(request, context);
        var most = edge.Limits.MissingBlobsPerCall;
        if (request.Hashes.Count > most)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"at most {most:N0} hashes per MissingBlobs call (gensyn.edge.limits.missing-blobs-per-call), " +
                $"got {request.Hashes.Count:N0}; ask in batches"));
        var reply = new V1.MissingBlobsReply();
        foreach (var bytes in request.Hashes)
        {
            if (bytes.Length != 32)
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                                                  "each hash must be a SHA-256 (32 bytes)"));
            var hash = Sha256Digest.FromBytes(bytes.Span);
            if (!edge.Store.Contains(hash))
                reply.Missing.Add(new V1.MissingBlob
                {
                    Hash = bytes, Received = BlobStreams.Received(edge.Store, hash),
                });
        }
        return reply;
    }

    /// <summary>The manifest digest of a built-in dataset, packed into this coordinator's blob store when first asked
    /// for; FailedPrecondition, in one line, when this coordinator does not have it.</summary>
    public override async Task<V1.DatasetManifestReply> DatasetManifest(V1.DatasetManifestRequest request,
                                                                       ServerCallContext context)
    {
        edge.Limiter.AdmitPublic(context);
        try
        {
            var packed = await edge.Datasets.PackedAsync(request.Name).WaitAsync(context.CancellationToken);
            return new V1.DatasetManifestReply
            {
                Digest = WorkerWire.Bytes(packed.Digest), ChunkBytes = packed.ChunkBytes,
            };
        }
        catch (DatasetException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
    }

    /// <summary>Why this coordinator cannot run the data <paramref name="yaml"/> names
    /// (<see cref="DatasetAvailability"/>), or null; null too for a spec the gateway will refuse with its own
    /// reasons.</summary>
    private string? DatasetProblem(string yaml)
    {
        JobSpec spec;
        try
        {
            spec = JobSpecs.Shared.Submission(yaml);
        }
        catch (JobSpecException)
        {
            return null;
        }
        return DatasetAvailability.Problem(spec.Dataset, edge.Store, edge.PackedData, edge.Datasets);
    }
}

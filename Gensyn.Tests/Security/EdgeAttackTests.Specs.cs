using System.Globalization;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Edge.Wire;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>H1 at the edge: inference weights reach a coordinator only as a blob a requester uploaded, signed, never as a path.</summary>
public partial class EdgeAttackTests
{
    [Fact]
    public async Task A_requesters_upload_must_be_signed_over_the_hash_and_size_it_announces()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var hash = Sha256Digest.FromBytes(SHA256.HashData(bytes));
        V1.BlobUpload Claim(long size) => new() { Hash = WorkerWire.Bytes(hash), Size = size };
        Metadata Announcing(Metadata headers)
        {
            headers.Add("gensyn-blob-hash", hash.ToString());
            headers.Add("gensyn-blob-size", bytes.Length.ToString(CultureInfo.InvariantCulture));
            return headers;
        }
        async Task<StatusCode?> Upload(Metadata headers)
        {
            try
            {
                using var call = edge.Requesters.UploadBlob(headers, Soon);
                try
                {
                    await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes) });
                    await call.RequestStream.CompleteAsync();
                }
                catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
                {
                    // A refusal may come before the edge reads a byte; its answer is the call's status, not the broken write.
                }
                await call.ResponseAsync;
                return null;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }

        Assert.Equal(StatusCode.Unauthenticated, await Upload(Announcing(new Metadata())));
        Assert.Equal(StatusCode.Unauthenticated, await Upload(Announcing(edge.Sign(edge.Stranger, "UploadBlob", Claim(bytes.Length + 1)))));
        Assert.False(edge.Coordinator.Store.Contains(hash));
        // The control: signed over what it announces, the same upload is stored.
        Assert.Null(await Upload(Announcing(edge.Sign(edge.Stranger, "UploadBlob", Claim(bytes.Length)))));
        Assert.True(edge.Coordinator.Store.Contains(hash));
    }

    [Fact]
    public async Task An_inference_job_whose_weights_were_never_uploaded_is_refused_at_submit()
    {
        var submit = new V1.SubmitRequest
        {
            SpecYaml = $"name: predict\nkind: inference\nmodel: {{ kind: mlp }}\ndataset: {{ name: mnist }}\ninference: {{ weights: sha256:{new string('a', 64)} }}\n",
        };

        var refusal = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.SubmitAsync(submit, edge.Sign(edge.Payer, "Submit", submit), Soon).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith("inference.weights: this coordinator does not hold blob", refusal.Status.Detail);
    }
}

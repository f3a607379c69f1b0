using System.Globalization;
using System.Text;
using System.Text.Json;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Wire;
using Gensyn.Node.Cli;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data.Packed;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// A job's data must all be on the coordinator before it takes the job (issue 18): a spec that names a packed dataset is
/// refused at submit, before any deposit or journal event, unless the coordinator holds a valid manifest and every chunk
/// it lists; a spec that names data files, which no machine of the network opens, is refused; MNIST only where it is
/// installed. Each refusal is one line, and no job is made. One coordinator and edge serve the class
/// (<see cref="EdgeFixture"/>); its data directory has no MNIST.
/// </summary>
[Collection("cluster")]
public sealed class DatasetSubmitAttackTests(EdgeFixture edge) : IClassFixture<EdgeFixture>, IDisposable
{
    private static DateTime Soon => DateTime.UtcNow + TimeSpan.FromSeconds(30);
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A csv dataset no other test packs (its rows come from <paramref name="seed"/>), in small chunks.</summary>
    private (DirectoryChunkStore Store, PackedResult Packed) Pack(int seed)
    {
        var dir = Directory.CreateDirectory(_files.File($"data-{seed}")).FullName;
        PackedFixtures.WriteCsv(Path.Combine(dir, "train.csv"), 60, seed);
        PackedFixtures.WriteCsv(Path.Combine(dir, "test.csv"), 17, seed + 1000);
        var spec = JobSpecParser.Parse(
            "name: p\nmodel: { kind: mlp, hidden: [8] }\ndataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }\n", dir);
        var store = new DirectoryChunkStore(Path.Combine(dir, "packed"));
        return (store, DatasetPacker.Pack(spec, dir, store, PackedDataSettings.Default, targetChunkBytes: 100));
    }

    private static string Spec(string dataset) =>
        $"name: packed\nmodel: {{ kind: mlp, hidden: [8] }}\ndataset: {dataset}\n" +
        "training: { rounds: 1, shards: 1, inner-steps: 2, batch-size: 4 }\n";

    private static string Manifest(Sha256Digest digest, string format = "csv") => $"{{ format: {format}, manifest: sha256:{digest} }}";

    private async Task Upload(DirectoryChunkStore store, IEnumerable<Sha256Digest> hashes)
    {
        await using var client = CoordinatorClient.Connect(edge.Door, dataDirectory: _files.File("uploader"));
        foreach (var hash in hashes) Assert.Null(await client.UploadBlobFrom(store.PathOf(hash), hash, 0));
    }

    private async Task<Sha256Digest> UploadBytes(byte[] bytes)
    {
        var store = new DirectoryChunkStore(_files.File("raw"));
        var hash = Sha256Digest.Of(bytes);
        store.Write(hash, bytes);
        await Upload(store, [hash]);
        return hash;
    }

    private async Task<RpcException> Refused(WorkerKey key, string yaml)
    {
        var submit = new V1.SubmitRequest { SpecYaml = yaml };
        var refusal = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.SubmitAsync(submit, edge.Sign(key, "Submit", submit), Soon).ResponseAsync);
        Assert.DoesNotContain('\n', refusal.Status.Detail);
        return refusal;
    }

    /// <summary>Every job <paramref name="key"/> owns on the coordinator.</summary>
    private async Task<IReadOnlyList<JobView>> JobsOf(WorkerKey key)
    {
        var jobs = new List<JobView>();
        string? token = null;
        do
        {
            var list = new V1.ListJobsRequest { PageToken = token ?? "" };
            var page = EdgeJson.Read<JobList>((await edge.Requesters.ListJobsAsync(list, edge.Sign(key, "ListJobs", list), Soon)).Json);
            jobs.AddRange(page.Jobs);
            token = page.NextPageToken;
        } while (token is not null);
        return jobs;
    }

    [Fact]
    public async Task A_spec_naming_a_manifest_whose_chunk_was_never_uploaded_is_refused_and_no_job_is_made_until_it_is()
    {
        var requester = WorkerKey.Generate();
        var (store, packed) = Pack(seed: 11);
        var chunks = packed.Manifest.AllChunks.Select(c => c.Hash).Distinct().ToList();
        await Upload(store, chunks.SkipLast(1).Append(packed.Digest));

        var refusal = await Refused(requester, Spec(Manifest(packed.Digest)));

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith($"dataset.manifest: this coordinator lacks 1 of the {packed.Manifest.AllChunks.Count()} chunks sha256:{packed.Digest} lists", refusal.Status.Detail);
        Assert.Contains(chunks[^1].ToString(), refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));

        // The control: once the last chunk is uploaded, the same spec is taken.
        await Upload(store, [chunks[^1]]);
        var accepted = await edge.Submit(requester, Spec(Manifest(packed.Digest)));
        Assert.Equal(accepted, Assert.Single(await JobsOf(requester)).JobId);
    }

    [Fact]
    public async Task A_spec_naming_a_manifest_that_was_never_uploaded_is_refused()
    {
        var requester = WorkerKey.Generate();
        var (_, packed) = Pack(seed: 12);

        var refusal = await Refused(requester, Spec(Manifest(packed.Digest)));

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Equal($"dataset.manifest: this coordinator does not hold blob sha256:{packed.Digest}; `gensyn submit` uploads the packed dataset before the job",
                     refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Fact]
    public async Task A_manifest_blob_that_is_not_in_canonical_form_is_refused_though_every_chunk_is_here()
    {
        var requester = WorkerKey.Generate();
        var (store, packed) = Pack(seed: 13);
        await Upload(store, packed.Manifest.AllChunks.Select(c => c.Hash).Distinct());
        // The same manifest, indented: it decodes to the same dataset but has another digest.
        using var document = JsonDocument.Parse(ManifestCodec.Encode(packed.Manifest));
        var indented = await UploadBytes(JsonSerializer.SerializeToUtf8Bytes(document.RootElement, new JsonSerializerOptions { WriteIndented = true }));

        var refusal = await Refused(requester, Spec(Manifest(indented)));

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith("dataset.manifest: dataset manifest refused: not in canonical form", refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Fact]
    public async Task A_manifest_blob_over_the_size_limit_is_refused_without_being_read()
    {
        var requester = WorkerKey.Generate();
        var huge = new byte[PackedDataSettings.Default.MaxManifestBytes + 1];
        Array.Fill(huge, (byte)' ');
        huge[0] = (byte)'{';
        var digest = await UploadBytes(huge);

        var refusal = await Refused(requester, Spec(Manifest(digest)));

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith($"dataset.manifest: dataset manifest refused: {huge.Length:N0} bytes, over the limit of", refusal.Status.Detail);
        Assert.Contains("gensyn.datasets.max-manifest-size", refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Fact]
    public async Task A_manifest_of_labelled_examples_named_by_a_text_spec_is_refused()
    {
        var requester = WorkerKey.Generate();
        var (store, packed) = Pack(seed: 14);
        await Upload(store, packed.Manifest.AllChunks.Select(c => c.Hash).Distinct().Append(packed.Digest));
        var yaml = $"name: text\nmodel: {{ kind: charlm, d-model: 16, layers: 1, heads: 2, context: 8 }}\ndataset: {Manifest(packed.Digest, "text")}\n";

        var refusal = await Refused(requester, yaml);

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith($"dataset.manifest: sha256:{packed.Digest} packs labelled examples, but the spec's format is text", refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Theory]
    [InlineData("{ format: csv, train: tables/train.csv, test: tables/test.csv }", "csv")]
    [InlineData("{ format: text, paths: [corpus] }", "text")]
    [InlineData("{ format: idx, train: { images: a, labels: b }, test: { images: c, labels: d } }", "idx")]
    public async Task A_network_spec_naming_data_files_is_refused_and_told_that_submit_packs_them(string dataset, string format)
    {
        var requester = WorkerKey.Generate();
        var model = format == "text" ? "{ kind: charlm, d-model: 16, layers: 1, heads: 2, context: 8 }" : "{ kind: mlp, hidden: [8] }";

        var refusal = await Refused(requester, $"name: files\nmodel: {model}\ndataset: {dataset}\n");

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Equal("dataset: a job on the network reads its data as a packed dataset (manifest: sha256:<hex>), never from files a path " +
                     $"names; `gensyn submit` packs the {format} files, uploads them and names the manifest", refusal.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Fact]
    public async Task A_coordinator_without_mnist_refuses_an_mnist_job_and_serves_no_mnist_manifest()
    {
        var requester = WorkerKey.Generate();

        var refusal = await Refused(requester, Spec("{ name: mnist }"));
        var manifest = await Assert.ThrowsAsync<RpcException>(() =>
            edge.Requesters.DatasetManifestAsync(new V1.DatasetManifestRequest { Name = "mnist" }, deadline: Soon).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            edge.Requesters.DatasetManifestAsync(new V1.DatasetManifestRequest { Name = "../../worker.key" }, deadline: Soon).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.StartsWith("dataset: this coordinator has no MNIST installed", refusal.Status.Detail);
        Assert.Equal((StatusCode.FailedPrecondition, refusal.Status.Detail), (manifest.StatusCode, manifest.Status.Detail));
        Assert.Equal(StatusCode.FailedPrecondition, unknown.StatusCode);
        Assert.StartsWith("no built-in dataset '../../worker.key'", unknown.Status.Detail);
        Assert.Empty(await JobsOf(requester));
    }

    [Fact]
    public async Task MissingBlobs_names_exactly_the_blobs_not_held_whole_with_what_an_interrupted_upload_left()
    {
        var (store, packed) = Pack(seed: 15);
        var chunks = packed.Manifest.AllChunks.Select(c => c.Hash).Distinct().ToList();
        await Upload(store, chunks.Take(2));
        // An upload cut off after 10 bytes of the third chunk: the edge keeps them to resume from.
        var partial = chunks[2];
        var bytes = File.ReadAllBytes(store.PathOf(partial));
        var signed = edge.Sign(edge.Payer, "UploadBlob", new V1.BlobUpload { Hash = WorkerWire.Bytes(partial), Size = bytes.Length });
        signed.Add("gensyn-blob-hash", partial.ToString());
        signed.Add("gensyn-blob-size", bytes.Length.ToString(CultureInfo.InvariantCulture));
        using (var call = edge.Requesters.UploadBlob(signed, Soon))
        {
            await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes, 0, 10) });
            await call.RequestStream.CompleteAsync();
            Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync)).StatusCode);
        }
        var ask = new V1.MissingBlobsRequest();
        ask.Hashes.AddRange(chunks.Append(packed.Digest).Select(h => WorkerWire.Bytes(h)));

        var reply = await edge.Requesters.MissingBlobsAsync(ask, edge.Sign(edge.Stranger, "MissingBlobs", ask), Soon);

        var missing = reply.Missing.Select(m => (WorkerWire.Digest(m.Hash, "hash"), m.Received)).ToList();
        Assert.Equal(chunks.Skip(2).Append(packed.Digest).Select(h => (h, h == partial ? 10L : 0L)), missing);
    }

    [Fact]
    public async Task MissingBlobs_must_be_signed_and_asks_about_at_most_its_limit_of_whole_hashes()
    {
        var hash = WorkerWire.Bytes(Sha256Digest.Of("x"u8));
        var one = new V1.MissingBlobsRequest { Hashes = { hash } };
        var tooMany = new V1.MissingBlobsRequest();
        tooMany.Hashes.AddRange(Enumerable.Repeat(hash, 4097));
        var shortHash = new V1.MissingBlobsRequest { Hashes = { ByteString.CopyFrom(new byte[31]) } };

        var unsigned = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.MissingBlobsAsync(one, deadline: Soon).ResponseAsync);
        var over = await Assert.ThrowsAsync<RpcException>(() =>
            edge.Requesters.MissingBlobsAsync(tooMany, edge.Sign(edge.Stranger, "MissingBlobs", tooMany), Soon).ResponseAsync);
        var malformed = await Assert.ThrowsAsync<RpcException>(() =>
            edge.Requesters.MissingBlobsAsync(shortHash, edge.Sign(edge.Stranger, "MissingBlobs", shortHash), Soon).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, unsigned.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, over.StatusCode);
        Assert.StartsWith("at most 4,096 hashes per MissingBlobs call", over.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        // The control: signed, within the limit.
        Assert.Single((await edge.Requesters.MissingBlobsAsync(one, edge.Sign(edge.Stranger, "MissingBlobs", one), Soon)).Missing);
    }
}

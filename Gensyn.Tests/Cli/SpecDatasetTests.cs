using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Cli;
using Gensyn.Tests.Data.Packed;
using Gensyn.Training.Data.Packed;

namespace Gensyn.Tests.Cli;

/// <summary>What submit sends for a spec's data: the files packed under DATA_DIR/packed and named by their manifest.</summary>
public sealed class SpecDatasetTests
{
    private static readonly Sha256Digest Digest = Sha256Digest.Of("manifest"u8);
    private static readonly string Reference = "sha256:" + Digest;

    [Theory]
    [InlineData("dataset: { format: csv, train: a.csv, test: b.csv, label-column: 1 }\n")]
    [InlineData("dataset:\n  format: csv\n  train: a.csv   # the training rows\n  test: b.csv\n  label-column: 1\n")]
    [InlineData("dataset:\n  format: csv\n  train: a.csv\n  test: b.csv\n\n\n")]
    [InlineData("dataset: { format: csv, train: \"a.csv\", test: [b.csv], label-column: 1 }   # } not here\n")]
    [InlineData("dataset: {}\n")]
    public void The_dataset_section_is_replaced_by_the_manifest_and_the_rest_of_the_spec_stays_as_written(string dataset)
    {
        const string head = "name: p   # a job\nmodel: { kind: mlp, hidden: [8] }\n";
        const string tail = "training: { rounds: 1, shards: 1 }\n# the end\n";

        var yaml = SpecDataset.WithDataset(head + dataset + tail, $"{{ format: csv, manifest: {Reference} }}");

        Assert.StartsWith(head + "dataset:", yaml);
        Assert.EndsWith("\n" + tail, yaml);
        var spec = JobSpecParser.ParseNetwork(yaml, submission: true);
        Assert.Equal((DatasetFormat.Csv, Reference, (string?)null), (spec.Dataset.Format, spec.Dataset.Manifest, spec.Dataset.TrainCsv));
        Assert.Equal(1, spec.Rounds);
    }

    [Fact]
    public void Mnist_and_text_are_named_with_their_own_format()
    {
        var mnist = JobSpecParser.Parse("name: p\nmodel: { kind: mlp }\ndataset: { name: mnist }\n", "/");
        var text = JobSpecParser.Parse("name: p\nmodel: { kind: charlm, context: 8 }\ndataset: { format: text, paths: [a] }\n", "/");

        Assert.Equal($"{{ name: mnist, manifest: {Reference} }}", SpecDataset.Section(mnist.Dataset, Digest));
        Assert.Equal($"{{ format: text, manifest: {Reference} }}", SpecDataset.Section(text.Dataset, Digest));
        Assert.False(SpecDataset.IsFiles(mnist.Dataset));
        Assert.True(SpecDataset.IsFiles(text.Dataset));
    }

    [Fact]
    public async Task A_csv_spec_is_sent_as_the_manifest_of_its_files_packed_under_DATA_DIR_packed()
    {
        using var temp = new TempDirectory();
        var local = PackedFixtures.Csv(temp.Path);
        var yaml = "name: csv-test\nmodel: { kind: mlp, hidden: [8] }\n" +
                   "dataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }\n";
        File.WriteAllText(temp.File("job.yaml"), yaml);
        var network = NetworkSpec.Read(temp.File("job.yaml"));
        // Packing needs no coordinator: this one is never dialled.
        await using var client = CoordinatorClient.Connect("127.0.0.1:1", dataDirectory: temp.File("cli"));

        var (sent, upload, failure) = await SpecDataset.ResolveAsync(network, client, temp.File("cli"), quiet: true);

        Assert.Null(failure);
        var byHand = DatasetPacker.Pack(local, temp.Path, new DirectoryChunkStore(temp.File("by-hand")), PackedDataSettings.Default);
        Assert.Equal(byHand.Digest, upload!.Packed.Digest);
        var store = new DirectoryChunkStore(Path.Combine(temp.File("cli"), SpecDataset.PackedFolder));
        Assert.All(byHand.Manifest.AllChunks.Select(c => c.Hash).Append(byHand.Digest), h => Assert.True(store.Has(h)));
        Assert.Equal($"name: csv-test\nmodel: {{ kind: mlp, hidden: [8] }}\ndataset: {{ format: csv, manifest: sha256:{byHand.Digest} }}\n",
                     sent.Yaml);
        Assert.Equal("sha256:" + byHand.Digest, JobSpecParser.ParseNetwork(sent.Yaml, submission: true).Dataset.Manifest);
    }
}

using System.Security.Cryptography;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Cli;

namespace Gensyn.Tests.Cli;

/// <summary>What quote and submit send: the spec as the network reads it, with an inference job's weights named by hash.</summary>
public sealed class NetworkSpecTests
{
    [Theory]
    [InlineData("inference: { weights: model.safetensors, shards: 2 }")]
    [InlineData("inference:\n  weights: \"model.safetensors\"\n  shards: 2")]
    [InlineData("inference:\n  shards: 2\n  weights: 'model.safetensors'   # the trained model")]
    public void Inference_weights_are_sent_as_the_hash_of_the_file_and_the_rest_of_the_spec_as_written(string inference)
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("model.safetensors"), [1, 2, 3, 4, 5]);
        var head = "name: predict\nkind: inference\nmodel: { kind: mlp }\ndataset: { name: mnist }\n";
        File.WriteAllText(temp.File("job.yaml"), head + inference + "\n");

        var network = NetworkSpec.Read(temp.File("job.yaml"));

        var hex = Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.Equal(hex, network.Weights.ToString());
        Assert.Equal(temp.File("model.safetensors"), network.WeightsFile);
        Assert.Equal("sha256:" + hex, JobSpecParser.ParseNetwork(network.Yaml, submission: true).Inference!.Weights);
        // Only the value changes (its quotes included); comments, order and layout stay as the requester wrote them.
        var written = new[] { "\"model.safetensors\"", "'model.safetensors'", "model.safetensors" }.First(inference.Contains);
        Assert.Equal(head + inference.Replace(written, "sha256:" + hex) + "\n", network.Yaml);
    }

    [Fact]
    public void A_spec_whose_data_files_are_outside_the_datasets_folder_is_read_for_packing()
    {
        var path = Path.Combine(GensynProcess.RepositoryRoot, "examples", "charlm.yaml");

        // The files are packed and sent as blobs (SpecDataset), so their paths need not be under DATA_DIR/datasets.
        var network = NetworkSpec.Read(path);

        Assert.True(SpecDataset.IsFiles(network.Spec.Dataset));
        Assert.Equal(File.ReadAllText(path), network.Yaml);
    }
}

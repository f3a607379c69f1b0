using System.Text.Json;

namespace Gensyn.Tests.Cli;

public class TrainCommandTests
{
    [Fact]
    public void The_same_spec_and_seed_give_the_same_final_digest_in_two_separate_processes()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("job.yaml"), TestSpecs.SyntheticYaml(rounds: 3, shards: 3, innerSteps: 10));
        var first = GensynProcess.Run(temp.Path, "train", temp.File("job.yaml"), "--json", "--out", temp.File("a.safetensors"));
        var second = GensynProcess.Run(temp.Path, "train", temp.File("job.yaml"), "--json", "--out", temp.File("b.safetensors"));
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var a = JsonDocument.Parse(first.Stdout).RootElement;
        var b = JsonDocument.Parse(second.Stdout).RootElement;
        Assert.Equal(64, a.GetProperty("finalDigest").GetString()!.Length);
        Assert.Equal(a.GetProperty("finalDigest").GetString(), b.GetProperty("finalDigest").GetString());
        Assert.Equal(File.ReadAllBytes(temp.File("a.safetensors")), File.ReadAllBytes(temp.File("b.safetensors")));
    }

    [Fact]
    public void Json_output_has_the_documented_fields()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("job.yaml"), TestSpecs.SyntheticYaml(rounds: 1, shards: 2, innerSteps: 5));
        var result = GensynProcess.Run(temp.Path, "train", temp.File("job.yaml"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        foreach (var field in new[] { "finalDigest", "testAccuracy", "testLoss", "rounds", "shards", "innerSteps", "wallSeconds", "modelPath" })
            Assert.True(json.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal(1, json.GetProperty("rounds").GetInt32());
        Assert.Equal(2, json.GetProperty("shards").GetInt32());
        Assert.Equal(5, json.GetProperty("innerSteps").GetInt32());
        Assert.True(File.Exists(json.GetProperty("modelPath").GetString()));
    }

    [Fact]
    public void An_invalid_spec_exits_2_with_one_line_per_field_and_no_stack_trace()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("bad.yaml"), "name: bad\nmodel: { kind: resnet }\ndataset: { name: synthetic }\ntraining: { inner-steps: 0, rounds: ten }\n");
        var result = GensynProcess.Run(temp.Path, "train", temp.File("bad.yaml"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model.kind: must be one of mlp, cnn, charlm, torchscript, got 'resnet'", result.Stderr);
        Assert.Contains("training.inner-steps: must be >= 1, got 0", result.Stderr);
        Assert.Contains("training.rounds: must be an integer, got 'ten'", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void A_missing_spec_file_or_unknown_option_exits_2()
    {
        using var temp = new TempDirectory();
        var missing = GensynProcess.Run(temp.Path, "train", temp.File("nope.yaml"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.yaml: file not found", missing.Stderr);
        Assert.Equal(2, GensynProcess.Run(temp.Path, "train", temp.File("nope.yaml"), "--bogus").ExitCode);
    }

    [Fact]
    public void A_corrupt_data_file_exits_2_naming_the_file()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("imgs"), [0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 8, 0, 0, 0, 8, 1, 2, 3]);
        IdxFiles.WriteLabels(temp.File("lbls"), 9, 3, seed: 1);
        File.WriteAllText(temp.File("job.yaml"), """
            name: corrupt
            model: { kind: mlp }
            dataset: { format: idx, train: { images: imgs, labels: lbls }, test: { images: imgs, labels: lbls } }
            """);
        var result = GensynProcess.Run(temp.Path, "train", temp.File("job.yaml"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{temp.File("imgs")}: truncated IDX file", result.Stderr);
    }

    [Fact]
    public void The_mnist_mlp_example_reaches_97_percent_test_accuracy()
    {
        var dataDir = GensynProcess.DataDirectory;
        Assert.True(File.Exists(Path.Combine(dataDir, "datasets", "mnist", "train-images-idx3-ubyte")),
            $"MNIST is missing from {dataDir}; run scripts/test.sh, which fetches it");
        using var temp = new TempDirectory();
        var result = GensynProcess.Run(dataDir, "train", Path.Combine(GensynProcess.RepositoryRoot, "examples", "mnist-mlp.yaml"),
                                       "--json", "--out", temp.File("mlp.safetensors"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var accuracy = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("testAccuracy").GetDouble();
        Assert.True(accuracy >= 0.97, $"test accuracy {accuracy:P2} is below 97%");
    }
}

using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;

namespace Gensyn.Tests.Data;

/// <summary>Datasets of network specs: read from under DATA_DIR/datasets, named there in messages.</summary>
public sealed class NetworkDatasetTests
{
    [Fact]
    public void The_charlm_network_example_reads_the_same_corpus_as_the_local_one_once_the_script_has_copied_it()
    {
        using var data = new TempDirectory();
        var root = Cli.GensynProcess.RepositoryRoot;
        var script = Process.Start(new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "charlm-corpus.sh"), data.Path]) { RedirectStandardOutput = true })!;
        script.StandardOutput.ReadToEnd();
        script.WaitForExit();
        Assert.Equal(0, script.ExitCode);
        var local = JobSpecParser.ParseFile(Path.Combine(root, "examples", "charlm.yaml"));
        var network = JobSpecParser.ParseNetwork(File.ReadAllText(Path.Combine(root, "examples", "charlm-network.yaml")), submission: true);

        var files = new DatasetFiles(data.Path);
        var networkCorpus = TextCorpusReader.Read(network.Dataset.TextPaths.Select(files.Locate).ToList(), network.Dataset.TextInclude, files);

        Assert.Equal(TextCorpusReader.Read(local.Dataset.TextPaths, local.Dataset.TextInclude), networkCorpus);
        Assert.Equal(local with { Name = network.Name, Dataset = network.Dataset }, network);
    }

    [Fact]
    public void A_missing_network_file_is_named_under_the_datasets_folder_not_where_this_machine_keeps_it()
    {
        using var data = new TempDirectory();
        var spec = JobSpecParser.ParseNetwork("name: csv\nmodel: { kind: mlp }\ndataset: { format: csv, train: tables/train.csv, test: tables/test.csv }\n");

        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(spec, data.Path).Dispose());

        Assert.StartsWith("DATA_DIR/datasets/tables/train.csv: file not found", e.Message);
        Assert.DoesNotContain(data.Path, e.Message);
    }
}

using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Jobs;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Tests.Docs;

/// <summary>examples/byom: a PyTorch module and the built-in mlp trained on the digits scripts/fetch-digits.sh writes.</summary>
public sealed class ByomExampleTests
{
    private static readonly string Folder = Path.Combine(Cli.GensynProcess.RepositoryRoot, "examples", "byom");

    [Fact]
    public void The_mlp_spec_parses_fits_the_limits_and_reads_the_csv_files_the_fetch_script_writes_by_default()
    {
        var spec = JobSpecParser.ParseFile(Path.Combine(Folder, "digits-mlp.yaml"));

        Assert.Equal(ModelKind.Mlp, spec.Model.Kind);
        Assert.Equal(DatasetFormat.Csv, spec.Dataset.Format);
        Assert.Equal(0, spec.Dataset.LabelColumn);
        Assert.Equal(Path.Combine(Folder, "data", "train.csv"), spec.Dataset.TrainCsv);
        Assert.Equal(Path.Combine(Folder, "data", "test.csv"), spec.Dataset.TestCsv);
        Assert.Empty(JobLimits.Default.Problems(spec));
        var script = File.ReadAllText(Path.Combine(Cli.GensynProcess.RepositoryRoot, "scripts", "fetch-digits.sh"));
        Assert.Contains("DEST=\"${1:-$ROOT/examples/byom/data}\"", script);
    }

    [Fact]
    public void The_torchscript_spec_trains_on_the_same_data_with_the_same_schedule_as_the_mlp_spec()
    {
        var byom = Root("byom.yaml");
        var mlp = Root("digits-mlp.yaml");

        Assert.Equal("{ { kind, torchscript }, { path, net.pt }, { loss, cross-entropy } }", byom["model"].ToString());
        Assert.True(File.Exists(Path.Combine(Folder, "net.pt")), "examples/byom/net.pt is committed beside its spec");
        foreach (var section in new[] { "dataset", "training", "verification", "requirements", "budget" })
            Assert.Equal(mlp[section].ToString(), byom[section].ToString());
        var spec = JobSpecParser.ParseFile(Path.Combine(Folder, "byom.yaml"));
        Assert.Equal((ModelKind.TorchScript, Path.Combine(Folder, "net.pt")), (spec.Model.Kind, spec.Model.Module));
        Assert.Null(Gensyn.Training.Models.TorchScript.TorchScriptSandbox.Problem(
            File.ReadAllBytes(Path.Combine(Folder, "net.pt")), "examples/byom/net.pt"));
    }

    private static YamlMappingNode Root(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Folder, file));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}

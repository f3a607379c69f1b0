using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Cli;
using Gensyn.Training.Data;

namespace Gensyn.Tests.Security;

/// <summary>
/// C6 and H1: specs sent by strangers. Before the fix about 62 KB of nested brackets overflowed the stack of any process that parsed the
/// spec (exit 134, which no catch can stop: the first attack here runs `gensyn` as a child process for that reason), and a spec could
/// name any file on the machines that ran it: absolute paths, `..`, links out of the data directory, devices, and CSV errors that echoed
/// the file's contents into a job's public failure reason.
/// </summary>
public class SpecAttackTests : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A spec of 62,075 characters, under the 64 KiB message limit, nested as deep as its brackets go.</summary>
    internal static string NestedBrackets() => "name: deep\nmodel: " + new string('[', 62_075 - 18);

    [Theory]
    [InlineData("train")]
    [InlineData("quote")]
    [InlineData("submit")]
    public void A_deeply_nested_spec_exits_2_with_one_line_instead_of_overflowing_the_stack(string command)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("deep.yaml"), NestedBrackets());
        string[] args = command switch
        {
            "train" => ["train", temp.File("deep.yaml")],
            "quote" => ["quote", temp.File("deep.yaml"), "--coordinator", "127.0.0.1:1"],
            _ => ["submit", temp.File("deep.yaml"), "--coordinator", "127.0.0.1:1", "--yes"],
        };

        var result = GensynProcess.Run(temp.Path, args);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"nested deeper than {SpecBounds.MaxDepth} levels", line);
    }

    [Fact]
    public void A_coordinator_refuses_a_deeply_nested_quote_and_stays_up()
    {
        var gateway = Sys.ActorOf(JobsGateway.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref));

        gateway.Tell(new QuoteJob(NestedBrackets(), "/"), TestActor);

        Assert.Contains("nested deeper than", Assert.Single(ExpectMsg<JobRejected>().Errors));
    }

    [Theory]
    [InlineData("model: &m { kind: mlp }\nother: *m\n", "anchors")]
    [InlineData("model: { kind: mlp, hidden: *h }\n", "aliases")]
    // Found by SpecFuzzTests: YamlDotNet threw ArgumentException ("Global tags must be valid URIs"), which escaped the parser.
    [InlineData("model: !!python/object { kind: mlp }\n", "tags")]
    [InlineData("model: !!binary aGVsbG8=\n", "tags")]
    public void Anchors_aliases_and_tags_are_refused_before_the_spec_is_read(string yaml, string named)
    {
        var e = Assert.Throws<JobSpecException>(() => JobSpecParser.ParseNetwork("name: a\n" + yaml + "dataset: { name: mnist }\n"));
        Assert.Contains(named, Assert.Single(e.Errors));
    }

    [Fact]
    public void A_spec_of_many_small_nodes_is_refused_by_count()
    {
        var yaml = "name: wide\nmodel: { kind: mlp, hidden: [" + string.Join(", ", Enumerable.Repeat("1", SpecBounds.MaxNodes)) + "] }\ndataset: { name: mnist }\n";
        Assert.True(yaml.Length < SpecBounds.MaxChars);

        var e = Assert.Throws<JobSpecException>(() => JobSpecParser.ParseNetwork(yaml));

        Assert.Contains($"more than {SpecBounds.MaxNodes:N0} values", Assert.Single(e.Errors));
    }

    [Fact]
    public void A_spec_over_the_size_limit_is_refused_in_every_parser_not_only_at_the_gateway()
    {
        var yaml = TestSpecs.SyntheticYaml() + "\n#" + new string('x', SpecBounds.MaxChars);

        Assert.Contains("characters; the limit is", Assert.Single(Assert.Throws<JobSpecException>(() => JobSpecParser.ParseNetwork(yaml)).Errors));
        Assert.Contains("characters; the limit is", Assert.Single(Assert.Throws<JobSpecException>(() => JobSpecParser.Parse(yaml, "/")).Errors));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../worker.key")]
    [InlineData("corpus/../../worker.key")]
    [InlineData("~/.ssh/id_rsa")]
    [InlineData("corpus\\..\\..\\worker.key")]
    public void A_network_spec_may_not_name_a_file_outside_the_datasets_folder(string path)
    {
        var yaml = $"name: steal\nmodel: {{ kind: charlm }}\ndataset: {{ format: text, paths: [\"{path.Replace("\\", "\\\\")}\"] }}\n";

        var e = Assert.Throws<JobSpecException>(() => JobSpecParser.ParseNetwork(yaml));

        Assert.Contains("dataset.paths[0]: ", Assert.Single(e.Errors));
        Assert.Contains("DATA_DIR/datasets", e.Errors[0]);
    }

    [Fact]
    public void The_requesters_base_directory_does_not_decide_where_a_coordinator_reads()
    {
        var gateway = Sys.ActorOf(JobsGateway.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref));
        // A relative path that the requester's "base directory" would have turned into the coordinator's key file.
        gateway.Tell(new QuoteJob("name: steal\nmodel: { kind: charlm }\ndataset: { format: text, paths: [../worker.key] }\n", "/var/lib/gensyn/datasets"), TestActor);

        Assert.Contains("dataset.paths[0]:", Assert.Single(ExpectMsg<JobRejected>().Errors));
    }

    [Fact]
    public void A_link_inside_the_datasets_folder_that_leads_out_of_it_is_refused_when_the_data_is_read()
    {
        using var data = new TempDirectory();
        var secret = data.File("worker.key");
        File.WriteAllText(secret, "0x" + new string('a', 64) + "\n" + new string('b', 400));
        Directory.CreateDirectory(Path.Combine(data.Path, "datasets", "corpus"));
        File.CreateSymbolicLink(Path.Combine(data.Path, "datasets", "corpus", "key.txt"), secret);
        Directory.CreateSymbolicLink(Path.Combine(data.Path, "datasets", "all"), data.Path);
        var viaFile = JobSpecParser.ParseNetwork("name: steal\nmodel: { kind: charlm, context: 8 }\ndataset: { format: text, paths: [corpus] }\n");
        var viaFolder = JobSpecParser.ParseNetwork("name: steal\nmodel: { kind: charlm, context: 8 }\ndataset: { format: text, paths: [all/worker.key] }\n");

        var fileLink = Assert.Throws<DatasetException>(() => DatasetLoader.Load(viaFile, data.Path).Dispose());
        var folderLink = Assert.Throws<DatasetException>(() => DatasetLoader.Load(viaFolder, data.Path).Dispose());

        Assert.Contains("leads out of DATA_DIR/datasets", fileLink.Message);
        Assert.Contains("leads out of DATA_DIR/datasets", folderLink.Message);
        Assert.DoesNotContain(data.Path, fileLink.Message + folderLink.Message);
    }

    [Fact]
    public void The_datasets_folder_may_itself_be_a_link_as_demo_and_test_clusters_make_it()
    {
        using var shared = new TempDirectory();
        using var node = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(shared.Path, "corpus"));
        File.WriteAllText(Path.Combine(shared.Path, "corpus", "a.txt"), string.Concat(Enumerable.Repeat("the quick brown fox jumps\n", 20)));
        Directory.CreateSymbolicLink(Path.Combine(node.Path, "datasets"), shared.Path);
        var spec = JobSpecParser.ParseNetwork("name: ok\nmodel: { kind: charlm, context: 8 }\ndataset: { format: text, paths: [corpus] }\n");

        using var splits = DatasetLoader.Load(spec, node.Path);

        Assert.True(splits.Train.Count > 0);
    }

    [Fact]
    public void A_csv_error_names_the_line_and_column_but_never_echoes_the_files_contents()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, "datasets"));
        File.WriteAllText(Path.Combine(data.Path, "datasets", "t.csv"), "label,x\n1,0.5\n0,SECRET-TOKEN-1234\n");
        File.WriteAllText(Path.Combine(data.Path, "datasets", "l.csv"), "label,x\n1,0.5\nSECRET-LABEL-99.5,0.25\n");

        var field = Assert.Throws<DatasetException>(() => CsvReader.Read(Path.Combine(data.Path, "datasets", "t.csv"), 0));
        var label = Assert.Throws<DatasetException>(() => CsvReader.Read(Path.Combine(data.Path, "datasets", "l.csv"), 0));

        Assert.Contains("line 3, column 2", field.Message);
        Assert.DoesNotContain("SECRET", field.Message);
        Assert.Contains("line 3, column 1", label.Message);
        Assert.DoesNotContain("SECRET", label.Message);
    }

    [Fact]
    public void A_device_or_a_file_over_the_size_limit_is_refused_without_being_read()
    {
        using var temp = new TempDirectory();
        var zero = JobSpecParser.Parse("name: zero\nmodel: { kind: charlm }\ndataset: { format: text, paths: [/dev/zero] }\n", temp.Path);
        var big = temp.File("big.csv");
        using (var f = File.Create(big)) f.SetLength(DatasetLimits.MaxFileBytes + 1);

        Assert.Contains("/dev/zero", Assert.Throws<DatasetException>(() => DatasetLoader.Load(zero, temp.Path).Dispose()).Message);
        Assert.Contains("limit", Assert.Throws<DatasetException>(() => CsvReader.Read(big, 0)).Message);
        Assert.Contains("limit", Assert.Throws<DatasetException>(() => IdxReader.Read(big)).Message);
    }

    [Theory]
    [InlineData("/etc/hostname")]
    [InlineData("/var/lib/gensyn/worker.key")]
    [InlineData("model.safetensors")]
    public void A_coordinator_never_opens_or_probes_an_inference_weights_path(string weights)
    {
        var gateway = Sys.ActorOf(JobsGateway.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref));
        // Before, a path that existed on the coordinator passed and one that did not was refused as "not found": a file-existence probe.
        gateway.Tell(new QuoteJob($"name: probe\nkind: inference\nmodel: {{ kind: mlp }}\ndataset: {{ name: mnist }}\ninference: {{ weights: {weights} }}\n", "/"), TestActor);

        var error = Assert.Single(ExpectMsg<JobRejected>().Errors);
        Assert.StartsWith("inference.weights: on the network must name an uploaded blob as sha256:", error);
    }

    [Fact]
    public void A_model_too_large_for_the_networks_limits_is_refused_at_quote_naming_the_field_and_the_limit()
    {
        var gateway = Sys.ActorOf(JobsGateway.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref));
        // Within the spec's own ranges (hidden widths up to 65,536, 8 layers), but 3.4e10 parameters.
        gateway.Tell(new QuoteJob("name: huge\nmodel: { kind: mlp, hidden: [65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536] }\ndataset: { name: mnist }\n", ""), TestActor);

        var error = Assert.Single(ExpectMsg<JobRejected>().Errors);
        Assert.StartsWith("model: ", error);
        Assert.Contains($"at most {JobLimits.Default.MaxParameters:N0} (gensyn.limits.max-parameters)", error);
    }
}

using System.Security.Cryptography;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Cli;
using Gensyn.Tests.Models.TorchScript;
using Gensyn.Tests.Workers;
using Gensyn.Training.Models.TorchScript;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Tests.Security;

/// <summary>
/// A TorchScript module is untrusted code. Modules that read a file (torch.from_file, also reached as
/// torch.ops.aten.from_file) or write one (torch.save) are refused by name, before libtorch parses a byte of them: by
/// the CLI before anything is sent or deposited, by the coordinator's limits when the job arrives by hash, and by a
/// worker handed the module anyway. The writing module proves it never ran: the file it writes does not appear.
/// </summary>
public sealed class TorchScriptAttackTests : IDisposable
{
    /// <summary>What evil_save.pt writes when its forward runs (make_fixtures.py).</summary>
    private const string Written = "/tmp/gensyn-torchscript-written.pt";

    public TorchScriptAttackTests() => File.Delete(Written);

    public void Dispose() => File.Delete(Written);

    [Theory]
    [InlineData("evil_from_file", "torch.from_file: it reads a file")]
    [InlineData("evil_ops_from_file", "torch.from_file: it reads a file")]
    [InlineData("evil_save", "torch.save: it writes a file")]
    public void The_sandbox_names_the_operator_that_touches_a_file(string module, string expected)
    {
        var problem = TorchScriptSandbox.Problem(TorchScriptFixtures.Bytes(module), "net.pt");

        Assert.NotNull(problem);
        Assert.StartsWith("net.pt: code/__torch__.py uses " + expected, problem);
        Assert.DoesNotContain('\n', problem);
    }

    [Theory]
    [InlineData("mnist_mlp")]
    [InlineData("tiny_csv")]
    public void An_honest_module_passes_the_sandbox(string module) =>
        Assert.Null(TorchScriptSandbox.Problem(TorchScriptFixtures.Bytes(module), "net.pt"));

    [Fact]
    public void The_writing_module_does_write_its_file_when_run_without_the_checks()
    {
        // The control for the tests below: the fixture really is evil, so the file's absence there means something.
        using (var module = jit.load<Tensor, Tensor>(TorchScriptFixtures.Bytes("evil_save")))
        using (var scope = NewDisposeScope())
            module.forward(zeros(2, 4));

        Assert.True(File.Exists(Written));
    }

    [Fact]
    public void Submit_refuses_an_evil_module_before_anything_is_uploaded_or_deposited()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("job.yaml"), TorchScriptFixtures.Yaml("evil_save"));

        var e = Assert.Throws<JobSpecException>(() => NetworkSpec.Read(temp.File("job.yaml")));

        Assert.Contains("uses torch.save: it writes a file", Assert.Single(e.Errors));
        Assert.False(File.Exists(Written));
    }

    [Fact]
    public void The_coordinator_refuses_a_job_naming_an_evil_module_by_hash()
    {
        var evil = TorchScriptFixtures.Bytes("evil_save");
        var hash = Sha256Digest.Of(evil);
        TorchScriptModules.AddSource(h => h == hash ? evil : null);

        var problems = JobLimits.Default.Problems(TorchScriptFixtures.NetworkSpec("evil_save"));

        Assert.Contains("uses torch.save: it writes a file", Assert.Single(problems));
        Assert.False(File.Exists(Written));
    }

    [Fact]
    public async Task A_worker_handed_an_evil_module_refuses_it_and_never_runs_it()
    {
        var evil = TorchScriptFixtures.Bytes("evil_save");
        var link = new FakeCoordinatorLink { Fetch = (_, _) => Task.FromResult(evil) };

        var e = await Assert.ThrowsAsync<JobSpecException>(() =>
            WorkerModules.EnsureAsync(TorchScriptFixtures.NetworkSpec("evil_save"), link, CancellationToken.None));

        Assert.Contains("uses torch.save: it writes a file", e.Message);
        Assert.EndsWith("; the shard was not run", e.Message);
        Assert.False(File.Exists(Written));
    }

    [Fact]
    public async Task A_worker_refuses_bytes_that_are_not_the_module_named_before_parsing_them()
    {
        // A relay swaps the module the job names (one this process never saw) for the evil one: the hash check comes first.
        var named = Convert.ToHexStringLower(SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var spec = JobSpecParser.ParseNetwork(TorchScriptFixtures.Yaml().Replace(
            $"path: {TorchScriptFixtures.Path("tiny_csv")}", $"module: sha256:{named}"));
        var link = new FakeCoordinatorLink { Fetch = (_, _) => Task.FromResult(TorchScriptFixtures.Bytes("evil_save")) };

        var e = await Assert.ThrowsAsync<JobSpecException>(() => WorkerModules.EnsureAsync(spec, link, CancellationToken.None));

        var evilHash = Convert.ToHexStringLower(SHA256.HashData(TorchScriptFixtures.Bytes("evil_save")));
        Assert.Contains($"the bytes received hash to sha256:{evilHash}, not the module named; it was not loaded", e.Message);
        Assert.False(File.Exists(Written));
    }

    [Theory]
    [InlineData("    return open(\"/etc/passwd\")", "open(...), which is not a tensor operation")]
    [InlineData("    _0 = os.system(\"sh\")", "os.system(...), which is not a tensor operation")]
    [InlineData("    _0 = ops.my_ns.spawn(x)", "ops.my_ns.spawn, an operator outside the tensor library")]
    [InlineData("    _0 = __torch__.torch.classes.io.File(x)", "__torch__.torch.classes.io.File, a native class")]
    [InlineData("    _0 = torch.load(\"x.pt\")", "torch.load: it reads a file")]
    [InlineData("    _0 = torch.dropout(x, 0.5, True)", "torch.dropout: it draws random numbers")]
    [InlineData("    _0 = (x).save(\"x.pt\")", "method save, which the module does not define")]
    [InlineData("    _0 = torch.unknown_op(x)", "torch.unknown_op, which is not a tensor operation")]
    public void Code_outside_the_allowlist_is_refused_wherever_it_appears(string line, string expected)
    {
        var source = "class Net(Module):\n  def forward(self: __torch__.Net,\n    x: Tensor) -> Tensor:\n" + line +
                     "\n    return torch.relu(x)\n";

        var problem = TorchScriptSandbox.Problem(Archive(source), "net.pt");

        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        // In a string literal or a comment, the same words are only text.
        Assert.Null(TorchScriptSandbox.Problem(Archive(source.Replace(line, "    # " + line.Trim())), "net.pt"));
    }

    private static byte[] Archive(string code)
    {
        using var memory = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(memory, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var writer = new StreamWriter(zip.CreateEntry("net/code/__torch__.py").Open()))
            writer.Write(code);
        return memory.ToArray();
    }

    [Fact]
    public void A_file_that_is_not_a_torchscript_archive_is_refused_before_libtorch_sees_it()
    {
        var problem = TorchScriptSandbox.Problem("not a zip at all"u8.ToArray(), "net.pt");

        Assert.StartsWith("net.pt: not a TorchScript file", problem);
    }
}

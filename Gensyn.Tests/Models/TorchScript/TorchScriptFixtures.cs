using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Models.TorchScript;

/// <summary>
/// The committed TorchScript fixtures (made by make_fixtures.py beside them) and specs over them. The small modules take
/// 4 features to 3 outputs: the shape of a synthetic dataset with <c>features: 4, classes: 3</c>.
/// </summary>
public static class TorchScriptFixtures
{
    public static string Folder => System.IO.Path.Combine(Cli.GensynProcess.RepositoryRoot, "Gensyn.Tests", "Models", "TorchScript");

    public static string Path(string name) => System.IO.Path.Combine(Folder, name + ".pt");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    /// <summary>A training spec over a synthetic dataset of 4 features and 3 classes, read on this machine.</summary>
    public static string Yaml(string module = "tiny_csv", string extra = "", string loss = "cross-entropy",
                              int shards = 2, string verification = "spot-check") => $$"""
        name: torchscript-test
        model: { kind: torchscript, path: {{Path(module)}}, loss: {{loss}} }
        dataset: { name: synthetic, samples: 512, features: 4, classes: 3 }
        training:
          rounds: 2
          shards: {{shards}}
          inner-steps: 6
          batch-size: 16
          seed: 7
          checkpoint-every: 2
          commit-every: 1
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        verification: { mode: {{verification}} }
        {{extra}}
        """;

    public static JobSpec Spec(string module = "tiny_csv", string extra = "", string loss = "cross-entropy") =>
        JobSpecParser.Parse(Yaml(module, extra, loss), Folder);

    /// <summary>The same job as the network reads it: the module named by the hash of its bytes.</summary>
    public static JobSpec NetworkSpec(string module = "tiny_csv", string extra = "")
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bytes(module)));
        return JobSpecParser.ParseNetwork(Yaml(module, extra).Replace($"path: {Path(module)}", $"module: sha256:{hash}"));
    }
}

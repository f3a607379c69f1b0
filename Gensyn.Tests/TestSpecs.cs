using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests;

/// <summary>
/// Small job specs for fast tests, written as YAML so they go through the real parser. They commit every step
/// (commit-every: 1) unless a test asks for another c, so that step i is segment i.
/// </summary>
public static class TestSpecs
{
    public static string SyntheticYaml(string model = "{ kind: mlp, hidden: [16] }", int rounds = 2, int shards = 2, int innerSteps = 8,
                                       string optimizer = "{ kind: adamw, lr: 0.01 }", long seed = 7,
                                       int checkpointEvery = 4, int batchSize = 16, int? evalEvery = null,
                                       int? commitEvery = 1) => $"""
        name: synthetic-test
        model: {model}
        dataset: {"{"} name: synthetic, samples: 512, features: 12, classes: 3 {"}"}
        training:
          rounds: {rounds}
          shards: {shards}
          inner-steps: {innerSteps}
          batch-size: {batchSize}
          seed: {seed}
          checkpoint-every: {checkpointEvery}{(evalEvery is { } every ? $"\n  eval-every: {every}" : "")}{(commitEvery is { } c ? $"\n  commit-every: {c}" : "")}
          inner-optimizer: {optimizer}
          outer-optimizer: {"{"} kind: nesterov, lr: 0.7, momentum: 0.9 {"}"}
        """;

    public static JobSpec Synthetic(string model = "{ kind: mlp, hidden: [16] }", int rounds = 2, int shards = 2, int innerSteps = 8,
                                    string optimizer = "{ kind: adamw, lr: 0.01 }", long seed = 7, int checkpointEvery = 4,
                                    int? commitEvery = 1) =>
        JobSpecParser.Parse(SyntheticYaml(model, rounds, shards, innerSteps, optimizer, seed, checkpointEvery,
            commitEvery: commitEvery), Directory.GetCurrentDirectory());

    /// <summary>A tiny charlm spec over a generated text file in <paramref name="directory"/>.</summary>
    public static JobSpec CharLm(string directory)
    {
        var text = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i}: the quick brown fox jumps over the lazy dog.\n"));
        File.WriteAllText(Path.Combine(directory, "corpus.txt"), text);
        return JobSpecParser.Parse("""
            name: charlm-test
            model: { kind: charlm, d-model: 16, layers: 1, heads: 2, context: 12 }
            dataset: { format: text, paths: [corpus.txt], test-fraction: 0.1 }
            training: { rounds: 1, shards: 1, inner-steps: 6, batch-size: 4, seed: 3, checkpoint-every: 2, commit-every: 1 }
            """, directory);
    }

    /// <summary>A tiny cnn spec over small generated IDX image files in <paramref name="directory"/>.</summary>
    public static JobSpec Cnn(string directory)
    {
        IdxFiles.WriteImages(Path.Combine(directory, "train-images"), 64, 8, 8, seed: 1);
        IdxFiles.WriteLabels(Path.Combine(directory, "train-labels"), 64, 3, seed: 2);
        IdxFiles.WriteImages(Path.Combine(directory, "test-images"), 16, 8, 8, seed: 3);
        IdxFiles.WriteLabels(Path.Combine(directory, "test-labels"), 16, 3, seed: 4);
        return JobSpecParser.Parse("""
            name: cnn-test
            model: { kind: cnn, channels: [4, 8] }
            dataset:
              format: idx
              train: { images: train-images, labels: train-labels }
              test: { images: test-images, labels: test-labels }
            training: { rounds: 1, shards: 1, inner-steps: 6, batch-size: 8, seed: 3, checkpoint-every: 2, commit-every: 1, inner-optimizer: { kind: sgd, lr: 0.05, momentum: 0.9 } }
            """, directory);
    }
}

/// <summary>Writes IDX files for tests (big-endian header, unsigned bytes).</summary>
public static class IdxFiles
{
    public static void WriteImages(string path, int count, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var data = new byte[count * rows * columns];
        random.NextBytes(data);
        File.WriteAllBytes(path, [.. Header(0x08, count, rows, columns), .. data]);
    }

    public static void WriteLabels(string path, int count, int classes, int seed)
    {
        var random = new Random(seed);
        File.WriteAllBytes(path, [.. Header(0x08, count), .. Enumerable.Range(0, count).Select(_ => (byte)random.Next(classes))]);
    }

    public static byte[] Header(byte type, params int[] dims)
    {
        var header = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (var d in dims) header.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return header.ToArray();
    }
}

/// <summary>A fresh directory under the system temp folder, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gensyn-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

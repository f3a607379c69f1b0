using System.Globalization;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Data.Packed;

/// <summary>Small datasets in files, and specs that train on them, for packing tests.</summary>
public static class PackedFixtures
{
    /// <summary>
    /// A csv spec over generated train (60 rows) and test (17 rows) files of 5 features, with a header and the label in
    /// the second column.
    /// </summary>
    public static JobSpec Csv(string directory, int rounds = 1, int shards = 2)
    {
        WriteCsv(Path.Combine(directory, "train.csv"), 60, seed: 1);
        WriteCsv(Path.Combine(directory, "test.csv"), 17, seed: 2);
        return JobSpecParser.Parse($$"""
            name: csv-test
            model: { kind: mlp, hidden: [8] }
            dataset: { format: csv, train: train.csv, test: test.csv, label-column: 1 }
            training:
              { rounds: {{rounds}}, shards: {{shards}}, inner-steps: 6, batch-size: 8, seed: 5, checkpoint-every: 3 }
            """, directory);
    }

    /// <summary><paramref name="files"/> with its dataset named by the packed dataset <paramref name="manifest"/>
    /// instead of its files.</summary>
    public static JobSpec Packed(JobSpec files, Sha256Digest manifest) => files with
    {
        Dataset = files.Dataset with
        {
            Manifest = DataPaths.BlobReference(manifest.ToString()),
            TrainCsv = null, TestCsv = null, TrainImages = null, TrainLabels = null, TestImages = null,
            TestLabels = null, TextPaths = [],
        },
    };

    public static void WriteCsv(string path, int rows, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string> { "f0,label,f1,f2,f3,f4" };
        for (var r = 0; r < rows; r++)
        {
            var values = Enumerable.Range(0, 5)
                .Select(_ => (random.NextDouble() * 4 - 2).ToString("R", CultureInfo.InvariantCulture))
                .ToList();
            values.Insert(1, random.Next(3).ToString(CultureInfo.InvariantCulture));
            lines.Add(string.Join(',', values));
        }
        File.WriteAllLines(path, lines);
    }

    /// <summary>A small mlp job on MNIST, in the repository's data directory.</summary>
    public static JobSpec Mnist() => JobSpecParser.Parse("""
        name: mnist-packed
        model: { kind: mlp, hidden: [16] }
        dataset: { name: mnist }
        training: { rounds: 2, shards: 2, inner-steps: 5, batch-size: 32, seed: 11, checkpoint-every: 5 }
        """, "/");
}

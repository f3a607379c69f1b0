using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;

namespace Gensyn.Tests.Data;

public class DatasetReaderTests
{
    private static string Error(Action read) => Assert.Throws<DatasetException>(read).Message;

    [Fact]
    public void Idx_images_and_labels_are_read_with_their_shape_and_classes()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteImages(temp.File("img"), 10, 4, 5, seed: 1);
        IdxFiles.WriteLabels(temp.File("lbl"), 10, 3, seed: 2);
        using var data = IdxReader.ReadLabelled(temp.File("img"), temp.File("lbl"));
        Assert.Equal(10, data.Count);
        Assert.Equal([1L, 4, 5], data.Shape.FeatureShape);
        Assert.True(data.Shape.Classes >= 2);
    }

    [Fact]
    public void A_gzipped_idx_file_is_read_transparently()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteLabels(temp.File("lbl"), 7, 3, seed: 2);
        using (var output = File.Create(temp.File("lbl.gz")))
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
            gz.Write(File.ReadAllBytes(temp.File("lbl")));
        Assert.Equal(IdxReader.Read(temp.File("lbl")).Values, IdxReader.Read(temp.File("lbl.gz")).Values);
    }

    [Fact]
    public void A_missing_idx_file_is_named()
    {
        Assert.Equal("/nonexistent/train-images: file not found; check the dataset path in the job spec",
            Error(() => IdxReader.Read("/nonexistent/train-images")));
    }

    [Fact]
    public void An_idx_file_with_a_wrong_magic_number_is_refused()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("bad"), [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0]);
        Assert.Contains("bad: not an IDX file (it does not start with the IDX magic number)", Error(() => IdxReader.Read(temp.File("bad"))));
        File.WriteAllBytes(temp.File("bad2"), [0, 0, 0x42, 1, 0, 0, 0, 1, 5]);
        Assert.Contains("bad2: not an IDX file (unknown element type in the magic number)", Error(() => IdxReader.Read(temp.File("bad2"))));
    }

    [Fact]
    public void A_truncated_idx_file_is_refused_with_the_expected_size()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteImages(temp.File("img"), 10, 4, 4, seed: 1);
        var bytes = File.ReadAllBytes(temp.File("img"));
        File.WriteAllBytes(temp.File("img"), bytes[..^7]);
        Assert.Contains($"img: truncated IDX file (expected {bytes.Length} bytes for dimensions 10x4x4, got {bytes.Length - 7})", Error(() => IdxReader.Read(temp.File("img"))));
        File.WriteAllBytes(temp.File("img"), bytes[..6]);
        Assert.Contains("truncated IDX file (header needs 16 bytes, file has 6)", Error(() => IdxReader.Read(temp.File("img"))));
    }

    [Fact]
    public void An_idx_file_with_trailing_bytes_is_refused()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteLabels(temp.File("lbl"), 5, 3, seed: 2);
        File.AppendAllText(temp.File("lbl"), "xyz");
        Assert.Contains("3 unexpected bytes after the IDX data", Error(() => IdxReader.Read(temp.File("lbl"))));
    }

    [Fact]
    public void Image_and_label_counts_must_match()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteImages(temp.File("img"), 10, 4, 4, seed: 1);
        IdxFiles.WriteLabels(temp.File("lbl"), 9, 3, seed: 2);
        Assert.Contains("lbl: 9 labels for 10 images", Error(() => IdxReader.ReadLabelled(temp.File("img"), temp.File("lbl"))));
    }

    [Fact]
    public void Swapped_images_and_labels_are_reported_as_such()
    {
        using var temp = new TempDirectory();
        IdxFiles.WriteImages(temp.File("img"), 10, 4, 4, seed: 1);
        IdxFiles.WriteLabels(temp.File("lbl"), 10, 3, seed: 2);
        Assert.Contains("did you swap images and labels?", Error(() => IdxReader.ReadLabelled(temp.File("lbl"), temp.File("img"))));
    }

    [Fact]
    public void Csv_rows_are_read_with_an_optional_header_and_any_label_column()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.csv"), "x1,label,x2\n0.5,1,2\n-1,0,3e-1\n\n");
        using var data = CsvReader.Read(temp.File("d.csv"), labelColumn: 1);
        Assert.Equal(2, data.Count);
        Assert.Equal([2L], data.Shape.FeatureShape);
    }

    [Fact]
    public void Csv_with_a_ragged_row_names_the_line()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.csv"), "1,2,3\n0,1\n");
        Assert.Contains("d.csv: line 2 has 2 columns, expected 3", Error(() => CsvReader.Read(temp.File("d.csv"), 0)));
    }

    [Fact]
    public void Csv_with_a_non_numeric_value_names_line_and_column()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.csv"), "1,2,3\n0,abc,1\n");
        Assert.Contains("d.csv: line 2, column 2: expected a finite number", Error(() => CsvReader.Read(temp.File("d.csv"), 0)));
    }

    [Fact]
    public void Csv_with_a_fractional_or_negative_label_is_refused()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.csv"), "1.5,2,3\n");
        Assert.Contains("d.csv: line 1, column 1: expected a label, a whole number from 0 to 100000", Error(() => CsvReader.Read(temp.File("d.csv"), 0)));
    }

    [Fact]
    public void Csv_label_column_out_of_range_and_empty_files_are_refused()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("d.csv"), "1,2,3\n");
        Assert.Contains("label column 5 does not exist (the file has 3 columns)", Error(() => CsvReader.Read(temp.File("d.csv"), 5)));
        File.WriteAllText(temp.File("e.csv"), "label,x\n");
        Assert.Contains("e.csv: no data rows", Error(() => CsvReader.Read(temp.File("e.csv"), 0)));
    }

    [Fact]
    public void Csv_test_file_must_have_the_training_files_feature_count()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("t.csv"), "1,2\n");
        Assert.Contains("1 feature columns, but the training file has 2", Error(() => CsvReader.Read(temp.File("t.csv"), 0, expectedFeatures: 2)));
    }

    [Fact]
    public void Text_paths_that_do_not_exist_or_match_nothing_are_named()
    {
        using var temp = new TempDirectory();
        Assert.Contains("no such file or directory", Error(() => TextCorpusReader.Read([temp.File("nope")], "*")));
        File.WriteAllText(temp.File("a.txt"), "hello");
        Assert.Contains("no files match '*.cs'", Error(() => TextCorpusReader.Read([temp.Path], "*.cs")));
    }

    [Fact]
    public void Text_corpus_order_is_fixed_by_relative_path()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("b"));
        File.WriteAllText(temp.File("b/z.cs"), "Z");
        File.WriteAllText(temp.File("a.cs"), "A");
        File.WriteAllText(temp.File("c.txt"), "C");
        Assert.Equal("A\nZ\n", System.Text.Encoding.ASCII.GetString(TextCorpusReader.Read([temp.Path], "*.cs")));
    }

    [Fact]
    public void A_missing_mnist_installation_says_how_to_fetch_it()
    {
        using var temp = new TempDirectory();
        var spec = JobSpecParser.Parse("name: m\nmodel: { kind: mlp }\ndataset: { name: mnist }", temp.Path);
        Assert.Contains("MNIST is not installed; run ./gensyn", Error(() => DatasetLoader.Load(spec, temp.Path)));
    }

    [Fact]
    public void Synthetic_data_is_a_pure_function_of_the_seed()
    {
        using var a = SyntheticData.Create(64, 5, 3, seed: 1);
        using var b = SyntheticData.Create(64, 5, 3, seed: 1);
        using var c = SyntheticData.Create(64, 5, 3, seed: 2);
        long[] all = [.. Enumerable.Range(0, 64).Select(i => (long)i)];
        Assert.True(a.Train.Batch(all).Input.equal(b.Train.Batch(all).Input).all().item<bool>());
        Assert.False(a.Train.Batch(all).Input.equal(c.Train.Batch(all).Input).all().item<bool>());
    }
}

using System.Globalization;

namespace Gensyn.Training.Data;

/// <summary>
/// The rows of a CSV file of one integer label column and numeric feature columns, read line by line (the whole file is
/// never held). A first row whose label field is not a number is taken as a header. Features are used as given.
/// </summary>
public sealed class CsvRows(int labelColumn, string shown)
{
    /// <summary>Columns of the file, known once its first non-blank row has been read.</summary>
    public int? Columns { get; private set; }

    /// <summary>Feature columns of the file (columns less the label), known once its first row has been read.</summary>
    public int? Features => Columns - 1;

    /// <summary>Each data row's label and features (the array is reused from row to row: copy what is kept).</summary>
    /// <exception cref="DatasetException">A row is ragged, a value is not a finite number, or a label is not a class
    /// index.</exception>
    public IEnumerable<(long Label, float[] Features)> Read(TextReader reader)
    {
        var path = shown;
        float[] features = [];
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (Columns is null)
            {
                if (labelColumn >= fields.Length)
                    throw new DatasetException($"{path}: label column {labelColumn} does not exist (the file has " +
                                               $"{fields.Length} columns); fix dataset.label-column");
                if (fields.Length < 2)
                    throw new DatasetException($"{path}: line {lineNumber} has {fields.Length} column; need a label " +
                                               $"and at least one feature");
                Columns = fields.Length;
                features = new float[fields.Length - 1];
                if (!IsNumber(fields[labelColumn], out _)) continue; // header row
            }
            if (fields.Length != Columns)
                throw new DatasetException($"{path}: line {lineNumber} has {fields.Length} columns, expected " +
                                           $"{Columns}; fix the file");
            long label = 0;
            var f = 0;
            for (var c = 0; c < fields.Length; c++)
            {
                if (!IsNumber(fields[c], out var v) || !double.IsFinite(v))
                    throw new DatasetException($"{path}: line {lineNumber}, column {c + 1}: expected a finite " +
                                               $"number; fix the file");
                if (c == labelColumn)
                {
                    if (v < 0 || v != Math.Floor(v) || v > 100_000)
                        throw new DatasetException($"{path}: line {lineNumber}, column {c + 1}: expected a label, a " +
                                                   $"whole number from 0 to 100000 (a class index); fix the file");
                    label = (long)v;
                }
                else features[f++] = (float)v;
            }
            yield return (label, features);
        }
    }

    private static bool IsNumber(string field, out double value) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>The classes a split with labels up to <paramref name="maxLabel"/> has: one more than the largest, at
    /// least 2.</summary>
    public static int Classes(long maxLabel) => Math.Max((int)maxLabel + 1, 2);

    /// <exception cref="DatasetException">A test file whose feature count is not the training file's.</exception>
    public void CheckFeatures(int? expected)
    {
        if (expected is { } e && Features is { } actual && e != actual)
            throw new DatasetException($"{shown}: {actual} feature columns, but the training file has {e}; the files " +
                                       $"do not belong together");
    }
}

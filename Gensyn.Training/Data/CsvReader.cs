using System.Globalization;

namespace Gensyn.Training.Data;

/// <summary>
/// Reads a CSV file of one integer label column and numeric feature columns. A first row whose label
/// field is not a number is taken as a header. Features are used as given (no scaling).
/// </summary>
public static class CsvReader
{
    /// <param name="shown">How messages name the file (default: <paramref name="path"/>).</param>
    public static ClassificationData Read(string path, int labelColumn, int? expectedFeatures = null, string? shown = null)
    {
        var text = System.Text.Encoding.UTF8.GetString(DatasetFiles.ReadBytes(path, shown ??= path));
        path = shown;
        var features = new List<float>();
        var labels = new List<long>();
        int? columns = null;
        var lineNumber = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (columns is null)
            {
                if (labelColumn >= fields.Length)
                    throw new DatasetException($"{path}: label column {labelColumn} does not exist (the file has {fields.Length} columns); fix dataset.label-column");
                if (fields.Length < 2)
                    throw new DatasetException($"{path}: line {lineNumber} has {fields.Length} column; need a label and at least one feature");
                columns = fields.Length;
                if (!double.TryParse(fields[labelColumn], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue; // header row
            }
            if (fields.Length != columns)
                throw new DatasetException($"{path}: line {lineNumber} has {fields.Length} columns, expected {columns}; fix the file");
            for (var c = 0; c < fields.Length; c++)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    throw new DatasetException($"{path}: line {lineNumber}, column {c + 1}: expected a finite number; fix the file");
                if (c == labelColumn)
                {
                    if (v < 0 || v != Math.Floor(v) || v > 100_000)
                        throw new DatasetException($"{path}: line {lineNumber}, column {c + 1}: expected a label, a whole number from 0 to 100000 (a class index); fix the file");
                    labels.Add((long)v);
                }
                else features.Add((float)v);
            }
        }
        if (labels.Count == 0) throw new DatasetException($"{path}: no data rows; the file is empty");
        var featureCount = columns!.Value - 1;
        if (expectedFeatures is { } expected && expected != featureCount)
            throw new DatasetException($"{path}: {featureCount} feature columns, but the training file has {expected}; the files do not belong together");
        return new ClassificationData(features.ToArray(), labels.ToArray(), [featureCount], Math.Max((int)labels.Max() + 1, 2));
    }
}

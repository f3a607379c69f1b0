using System.Globalization;

namespace Gensyn.Training.Data;

/// <summary>
/// Reads a CSV file of one integer label column and numeric feature columns. A first row whose label
/// field is not a number is taken as a header. Features are used as given (no scaling).
/// </summary>
public static class CsvReader
{
    public static ClassificationData Read(string path, int labelColumn, int? expectedFeatures = null)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found; check the dataset path in the job spec");
        var features = new List<float>();
        var labels = new List<long>();
        int? columns = null;
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
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
                    throw new DatasetException($"{path}: line {lineNumber}, column {c + 1}: '{fields[c].Trim()}' is not a number; fix the file");
                if (c == labelColumn)
                {
                    if (v < 0 || v != Math.Floor(v) || v > 100_000)
                        throw new DatasetException($"{path}: line {lineNumber}: label '{fields[c].Trim()}' must be a non-negative integer class index");
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

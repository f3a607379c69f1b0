namespace Gensyn.Training.Data;

/// <summary>
/// Reads a CSV file of one integer label column and numeric feature columns into memory (rows as <see cref="CsvRows"/>
/// reads them).
/// </summary>
public static class CsvReader
{
    /// <param name="shown">How messages name the file (default: <paramref name="path"/>).</param>
    public static ClassificationData Read(string path, int labelColumn, int? expectedFeatures = null, string? shown = null)
    {
        var text = System.Text.Encoding.UTF8.GetString(DatasetFiles.ReadBytes(path, shown ??= path));
        var rows = new CsvRows(labelColumn, shown);
        var features = new List<float>();
        var labels = new List<long>();
        using var reader = new StringReader(text);
        foreach (var (label, values) in rows.Read(reader))
        {
            labels.Add(label);
            features.AddRange(values);
        }
        if (labels.Count == 0) throw new DatasetException($"{shown}: no data rows; the file is empty");
        rows.CheckFeatures(expectedFeatures);
        return new ClassificationData(
            features.ToArray(), labels.ToArray(), [rows.Features!.Value], CsvRows.Classes(labels.Max()));
    }
}

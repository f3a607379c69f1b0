using System.IO.Enumeration;

namespace Gensyn.Training.Data;

/// <summary>
/// Builds a byte corpus from files and directories. Files found under a directory are filtered by a
/// glob and taken in ordinal order of their relative paths, so the corpus is the same on every machine.
/// </summary>
public static class TextCorpusReader
{
    public static byte[] Read(IReadOnlyList<string> paths, string include)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !IsBuildOutput(Path.GetRelativePath(path, f)))
                    .Where(f => FileSystemName.MatchesSimpleExpression(include, Path.GetFileName(f)))
                    .OrderBy(f => Path.GetRelativePath(path, f).Replace('\\', '/'), StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0) throw new DatasetException($"{path}: no files match '{include}'; fix dataset.include or dataset.paths");
                files.AddRange(found);
            }
            else throw new DatasetException($"{path}: no such file or directory; check dataset.paths in the job spec");
        }
        using var corpus = new MemoryStream();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            corpus.Write(bytes);
            if (bytes.Length > 0 && bytes[^1] != (byte)'\n') corpus.WriteByte((byte)'\n');
        }
        return corpus.ToArray();
    }

    private static bool IsBuildOutput(string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar);
        return parts.Any(p => p is "bin" or "obj" or ".git" or "node_modules");
    }
}

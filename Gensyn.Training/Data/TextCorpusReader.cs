using System.IO.Enumeration;

namespace Gensyn.Training.Data;

/// <summary>
/// Builds a byte corpus from files and directories. Files found under a directory are filtered by a
/// glob and taken in ordinal order of their relative paths, so the corpus is the same on every machine.
/// The whole corpus is at most <see cref="DatasetLimits.MaxFileBytes"/>.
/// </summary>
public static class TextCorpusReader
{
    /// <summary>Reads <paramref name="paths"/> as they are (a spec read on this machine, with absolute paths).</summary>
    public static byte[] Read(IReadOnlyList<string> paths, string include) => Read(paths.Select(p => new DatasetFiles.Located(p, p)).ToList(), include, null);

    /// <param name="files">For network paths: every file found under a folder is checked to stay inside the datasets folder.</param>
    public static byte[] Read(IReadOnlyList<DatasetFiles.Located> paths, string include, DatasetFiles? files)
    {
        using var corpus = new MemoryStream();
        foreach (var file in Files(paths, include))
        {
            if (files is not null && file.Path != file.Shown) files.CheckInside(file.Path, file.Shown);
            var bytes = DatasetFiles.ReadBytes(file.Path, file.Shown, DatasetLimits.MaxFileBytes - corpus.Length);
            corpus.Write(bytes);
            if (bytes.Length > 0 && bytes[^1] != (byte)'\n') corpus.WriteByte((byte)'\n');
        }
        return corpus.ToArray();
    }

    /// <summary>
    /// The files a corpus is made of, in corpus order: each file given, and the files under each folder given that
    /// match
    /// <paramref name="include"/>, by ordinal relative path. Each file in the corpus ends with a newline (one is added
    /// where it lacks one).
    /// </summary>
    public static IReadOnlyList<DatasetFiles.Located> Files(IReadOnlyList<DatasetFiles.Located> paths, string include)
    {
        var found = new List<DatasetFiles.Located>();
        foreach (var path in paths)
        {
            if (File.Exists(path.Path)) found.Add(path);
            else if (Directory.Exists(path.Path))
            {
                var under = Directory.EnumerateFiles(path.Path, "*", SearchOption.AllDirectories)
                    .Where(f => !IsBuildOutput(Path.GetRelativePath(path.Path, f)))
                    .Where(f => FileSystemName.MatchesSimpleExpression(include, Path.GetFileName(f)))
                    .OrderBy(f => Path.GetRelativePath(path.Path, f).Replace('\\', '/'), StringComparer.Ordinal)
                    .Select(f => new DatasetFiles.Located(f, DatasetFiles.ShownUnder(path, f)))
                    .ToList();
                if (under.Count == 0) throw new DatasetException($"{path.Shown}: no files match '{include}'; fix dataset.include or dataset.paths");
                found.AddRange(under);
            }
            else throw new DatasetException($"{path.Shown}: no such file or directory; check dataset.paths in the job spec");
        }
        return found;
    }

    private static bool IsBuildOutput(string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar);
        return parts.Any(p => p is "bin" or "obj" or ".git" or "node_modules");
    }
}

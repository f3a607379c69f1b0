using Gensyn.Contracts.Jobs;

namespace Gensyn.Training.Data;

/// <summary>The most a dataset may make a process read into memory.</summary>
public static class DatasetLimits
{
    /// <summary>The largest data file (CSV, IDX, after gunzip), and the largest text corpus all its files together make: 1 GiB.</summary>
    public const long MaxFileBytes = 1L << 30;
}

/// <summary>
/// Where a job's data files are on this machine, and reading them within bounds. A spec read by <see cref="JobSpecParser.ParseNetwork"/>
/// gives paths relative to <c>DATA_DIR/datasets</c>; each resolves there, and a path whose real location (after every link) leaves that
/// folder's real location is refused, so a link planted in the folder cannot hand out a key file. A spec read on the user's own machine
/// (`gensyn train`) gives absolute paths, read as they are. Messages name a network file by its place under the datasets folder, never
/// by where this machine keeps it.
/// </summary>
public sealed class DatasetFiles(string dataDirectory)
{
    private readonly string _root = Path.GetFullPath(Path.Combine(dataDirectory, DataPaths.DatasetsFolder));

    /// <summary>A file or folder to read: its path on this machine, and how messages name it.</summary>
    public readonly record struct Located(string Path, string Shown);

    /// <summary>Where <paramref name="specPath"/> is on this machine.</summary>
    /// <exception cref="DatasetException">A network path leads out of the datasets folder.</exception>
    public Located Locate(string specPath)
    {
        if (Path.IsPathRooted(specPath)) return new Located(specPath, specPath);
        var shown = $"{DataPaths.NetworkRoot}/{specPath}";
        var full = Path.GetFullPath(Path.Combine(_root, specPath));
        CheckInside(full, shown);
        return new Located(full, shown);
    }

    /// <summary>Refuses <paramref name="path"/> (found under a network folder) when it is a network file whose real location is outside the datasets folder.</summary>
    public void CheckInside(string path, string shown)
    {
        var root = RealPath(_root);
        var real = RealPath(path);
        if (real != root && !real.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal))
            throw new DatasetException($"{shown}: leads out of {DataPaths.NetworkRoot} through a link; a job on the network reads only files inside it");
    }

    /// <summary>How a file found under <paramref name="folder"/> is named in messages.</summary>
    public static string ShownUnder(Located folder, string file) => folder.Path == folder.Shown
        ? file
        : $"{folder.Shown}/{Path.GetRelativePath(folder.Path, file).Replace('\\', '/')}";

    /// <summary>
    /// The whole of a regular file of at most <paramref name="maxBytes"/> bytes. A device, a pipe or a /proc file (whose size says
    /// nothing of what reading it gives) is refused after one byte more than its size, so /dev/zero cannot fill memory.
    /// </summary>
    /// <exception cref="DatasetException">Missing, too large, not a regular file, or unreadable.</exception>
    public static byte[] ReadBytes(string path, string shown, long maxBytes = DatasetLimits.MaxFileBytes)
    {
        if (!File.Exists(path)) throw new DatasetException($"{shown}: file not found; check the dataset path in the job spec");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var length = stream.Length;
            if (length > maxBytes) throw new DatasetException($"{shown}: {length:N0} bytes; the limit for a data file is {maxBytes:N0} bytes");
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            if (stream.ReadByte() >= 0) throw new DatasetException($"{shown}: not a regular file (it reads past its size); give a data file");
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{shown}: cannot read the data file ({e.GetType().Name}); check its permissions");
        }
    }

    /// <summary>The path with every link resolved, as the kernel would open it (missing parts are taken as they are written).</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var pending = new List<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var current = root;
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > 40) throw new DatasetException($"{path}: too many levels of links");
            // The target's own parts are walked like the rest, so links and '..' inside it resolve as the kernel resolves them.
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
            var targetRoot = Path.IsPathRooted(target) ? Path.GetPathRoot(target)!.Length : 0;
            pending.InsertRange(0, target[targetRoot..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        }
        return current;
    }
}

using Gensyn.Contracts;

namespace Gensyn.Training.Data.Packed;

/// <summary>
/// Chunks as files in one folder, each named by the 64 hex digits of its SHA-256. Writes go to a temporary file that is
/// then renamed, so a reader never sees half a chunk; a file left by a crash is not named like a chunk and is ignored.
/// </summary>
public sealed class DirectoryChunkStore : IChunkSource, IChunkSink
{
    private const string TemporarySuffix = ".partial";

    public DirectoryChunkStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>A stored chunk: its hash, its size and when it was last written or used.</summary>
    public readonly record struct StoredChunk(Sha256Digest Hash, long Bytes, DateTime LastUsedUtc);

    public string PathOf(Sha256Digest hash) => Path.Combine(Directory, hash.ToString());

    public bool Has(Sha256Digest hash) => File.Exists(PathOf(hash));

    public byte[]? Read(Sha256Digest hash, long maxBytes)
    {
        try
        {
            using var stream = new FileStream(PathOf(hash), FileMode.Open, FileAccess.Read, FileShare.Read);
            var limit = (int)Math.Min(Math.Min(stream.Length, maxBytes + 1), Array.MaxLength);
            var bytes = new byte[limit];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (EndOfStreamException)
        {
            return null; // shrank while being read: as good as missing
        }
    }

    public void Write(Sha256Digest hash, ReadOnlySpan<byte> bytes)
    {
        var target = PathOf(hash);
        var temporary = $"{target}.{Guid.NewGuid():N}{TemporarySuffix}";
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            stream.Write(bytes);
        File.Move(temporary, target, overwrite: true);
    }

    public void Delete(Sha256Digest hash) => File.Delete(PathOf(hash));

    /// <summary>Marks <paramref name="hash"/> as used now, so that its place in the eviction order survives a
    /// restart.</summary>
    public void Touch(Sha256Digest hash)
    {
        try
        {
            File.SetLastWriteTimeUtc(PathOf(hash), DateTime.UtcNow);
        }
        catch (IOException)
        {
            // The order is a hint: a chunk that cannot be touched is only evicted a little early.
        }
    }

    /// <summary>Every chunk stored; files that are not chunks (a crashed write's leftovers) are deleted.</summary>
    public IReadOnlyList<StoredChunk> List()
    {
        var chunks = new List<StoredChunk>();
        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles())
        {
            if (Sha256Digest.TryParse(file.Name, out var hash) && file.Name == hash.ToString())
                chunks.Add(new StoredChunk(hash, file.Length, file.LastWriteTimeUtc));
            else if (file.Name.EndsWith(TemporarySuffix, StringComparison.Ordinal))
                file.Delete();
        }
        return chunks;
    }
}

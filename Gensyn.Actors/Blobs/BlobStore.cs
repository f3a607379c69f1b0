using System.Collections.Concurrent;
using Gensyn.Contracts;

namespace Gensyn.Actors.Blobs;

/// <summary>A blob whose bytes do not hash to its name, or that is missing.</summary>
public sealed class BlobException(string message) : Exception(message);

/// <summary>
/// Content-addressed files under a directory: a blob is named by the SHA-256 of its bytes and stored at
/// <c>ab/abcdef….blob</c>. Writes go through a temporary file; every read checks the hash, and a blob
/// that fails it is deleted (so it can be fetched or computed again) and reported, never returned.
/// Running jobs <see cref="Pin"/> the blobs they reference; <see cref="Collect"/> deletes the others once unused for the retention period
/// (a blob's use is its file's write time: storing, reading or serving it renews it).
/// </summary>
public sealed class BlobStore
{
    /// <summary>Where uploads in progress are written (<c>partial/HASH.part</c>), beside the blobs.</summary>
    public const string PartialDirectory = "partial";

    private readonly ConcurrentDictionary<string, IReadOnlySet<Sha256Digest>> _pins = new();

    public BlobStore(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public string PathOf(Sha256Digest hash)
    {
        var hex = hash.ToString();
        return Path.Combine(Directory, hex[..2], hex + ".blob");
    }

    public bool Contains(Sha256Digest hash) => File.Exists(PathOf(hash));

    /// <summary>Stores <paramref name="bytes"/> and returns their hash (a no-op when already present).</summary>
    public Sha256Digest Put(byte[] bytes)
    {
        var hash = Sha256Digest.Of(bytes);
        Write(hash, bytes);
        return hash;
    }

    /// <summary>Stores bytes that must hash to <paramref name="expected"/>; refuses them otherwise.</summary>
    public void Put(Sha256Digest expected, byte[] bytes)
    {
        var actual = Sha256Digest.Of(bytes);
        if (actual != expected) throw new BlobException($"blob {expected} refused: its {bytes.Length:N0} bytes hash to {actual}");
        Write(expected, bytes);
    }

    /// <summary>Writes the blob unless an intact copy is already there (a corrupt copy is replaced).</summary>
    private void Write(Sha256Digest hash, byte[] bytes)
    {
        var path = PathOf(hash);
        if (File.Exists(path) && HashOfFile(path) == hash)
        {
            Touch(hash);
            return;
        }
        Training.Checkpoints.CheckpointFile.WriteAtomically(path, bytes);
    }

    /// <summary>The SHA-256 of a file's bytes, read a buffer at a time (never whole).</summary>
    private static Sha256Digest HashOfFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20, FileOptions.SequentialScan);
        return Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(file));
    }

    /// <summary>
    /// Moves <paramref name="file"/>, whose bytes the caller has hashed to <paramref name="hash"/> while receiving them, into the store:
    /// how streamed blobs enter it without being held in memory.
    /// </summary>
    public void Adopt(Sha256Digest hash, string file)
    {
        var path = PathOf(hash);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(file, path, overwrite: true);
        Touch(hash);
    }

    /// <summary>A file to receive a blob into before <see cref="Adopt"/>.</summary>
    public string TemporaryFile()
    {
        var directory = Path.Combine(Directory, PartialDirectory);
        System.IO.Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"{Guid.NewGuid():N}.tmp");
    }

    /// <summary>The blob's file for reading as a stream (its use renewed); the reader checks its hash.</summary>
    public FileStream OpenRead(Sha256Digest hash)
    {
        var path = PathOf(hash);
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            Touch(hash);
            return stream;
        }
        catch (FileNotFoundException)
        {
            throw new BlobException($"blob {hash} is not in {Directory}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new BlobException($"blob {hash} is not in {Directory}");
        }
    }

    /// <summary>The blob's bytes, hash checked. A corrupt blob is removed and reported.</summary>
    public byte[] Get(Sha256Digest hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path)) throw new BlobException($"blob {hash} is not in {Directory}");
        var bytes = File.ReadAllBytes(path);
        var actual = Sha256Digest.Of(bytes);
        if (actual != hash)
        {
            File.Delete(path);
            throw new BlobException($"blob {hash} in {Directory} was corrupt (its bytes hash to {actual}); removed it");
        }
        Touch(hash);
        return bytes;
    }

    /// <summary>Marks the blob as used now: the retention period starts again.</summary>
    public void Touch(Sha256Digest hash)
    {
        try
        {
            File.SetLastWriteTimeUtc(PathOf(hash), DateTime.UtcNow);
        }
        catch (IOException)
        {
            // Gone meanwhile: nothing to keep.
        }
    }

    /// <summary>Records the blobs <paramref name="owner"/> (a running job) references; they are never collected while pinned.</summary>
    public void Pin(string owner, IReadOnlySet<Sha256Digest> blobs) => _pins[owner] = blobs;

    /// <summary>Lets go of <paramref name="owner"/>'s blobs (the job finished or left this node); they age out after the retention period.</summary>
    public void Unpin(string owner) => _pins.TryRemove(owner, out _);

    public bool IsPinned(Sha256Digest hash) => _pins.Values.Any(p => p.Contains(hash));

    /// <summary>The blobs <paramref name="owner"/> pins (none when it pins nothing).</summary>
    public IReadOnlySet<Sha256Digest> PinnedBy(string owner) => _pins.TryGetValue(owner, out var pinned) ? pinned : new HashSet<Sha256Digest>();

    /// <summary>
    /// Deletes every blob that no owner pins and that was last used before <paramref name="retention"/> ago, and every partial upload
    /// untouched for <paramref name="partialIdle"/>; returns the blobs deleted. A journal that names a collected blob keeps its hash.
    /// </summary>
    public IReadOnlyList<Sha256Digest> Collect(TimeSpan retention, TimeSpan partialIdle)
    {
        var now = DateTime.UtcNow;
        var pinned = _pins.Values.SelectMany(p => p).ToHashSet();
        var collected = new List<Sha256Digest>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.blob", SearchOption.AllDirectories))
        {
            if (!Sha256Digest.TryParse(Path.GetFileNameWithoutExtension(file), out var hash) || file != PathOf(hash) || pinned.Contains(hash)) continue;
            if (now - File.GetLastWriteTimeUtc(file) < retention) continue;
            try
            {
                File.Delete(file);
                collected.Add(hash);
            }
            catch (IOException)
            {
                // In use or gone; the next sweep tries again.
            }
        }
        var partial = Path.Combine(Directory, PartialDirectory);
        if (System.IO.Directory.Exists(partial))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(partial))
            {
                if (now - File.GetLastWriteTimeUtc(file) < partialIdle) continue;
                try
                {
                    File.Delete(file);
                }
                catch (IOException)
                {
                }
            }
        }
        return collected;
    }
}

using Gensyn.Contracts;

namespace Gensyn.Actors.Blobs;

/// <summary>A blob whose bytes do not hash to its name, or that is missing.</summary>
public sealed class BlobException(string message) : Exception(message);

/// <summary>
/// Content-addressed files under a directory: a blob is named by the SHA-256 of its bytes and stored at
/// <c>ab/abcdef….blob</c>. Writes go through a temporary file; every read checks the hash, and a blob
/// that fails it is deleted (so it can be fetched or computed again) and reported, never returned.
/// </summary>
public sealed class BlobStore
{
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
        if (File.Exists(path) && Sha256Digest.Of(File.ReadAllBytes(path)) == hash) return;
        Training.Checkpoints.CheckpointFile.WriteAtomically(path, bytes);
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
        return bytes;
    }
}

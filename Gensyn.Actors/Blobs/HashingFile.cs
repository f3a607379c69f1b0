using System.Security.Cryptography;
using Gensyn.Contracts;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// A blob being received into a file: each chunk is hashed (SHA-256, incrementally) while it is written, so the blob
/// is never held whole in memory and its name is known the moment its last byte lands. The caller compares
/// <see cref="Digest"/> with the name the blob was announced under before the file goes anywhere a reader looks.
/// </summary>
public sealed class HashingFile : IAsyncDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly FileStream _file;

    private HashingFile(FileStream file, long written)
    {
        _file = file;
        Written = written;
    }

    /// <summary>Bytes in the file so far.</summary>
    public long Written { get; private set; }

    /// <summary>A new file at <paramref name="path"/> (refused if one is there).</summary>
    public static HashingFile Create(string path) => new(Open(path, FileMode.CreateNew), 0);

    /// <summary>
    /// The file at <paramref name="path"/> (created if absent), its first <paramref name="held"/> bytes hashed again a
    /// chunk at a time, ready to append from there (a resumed upload); anything past them is cut off.
    /// </summary>
    public static async Task<HashingFile> ResumeAsync(string path, long held, CancellationToken cancel)
    {
        var file = Open(path, FileMode.OpenOrCreate);
        var resumed = new HashingFile(file, 0);
        try
        {
            var buffer = new byte[BlobSettings.DefaultChunkBytes];
            while (resumed.Written < held)
            {
                var want = (int)Math.Min(buffer.Length, held - resumed.Written);
                var read = await file.ReadAsync(buffer.AsMemory(0, want), cancel);
                if (read == 0)
                    throw new BlobException(
                        $"{path} holds {resumed.Written:N0} bytes, not the {held:N0} to resume from");
                resumed._sha.AppendData(buffer, 0, read);
                resumed.Written += read;
            }
            file.SetLength(held);
            return resumed;
        }
        catch
        {
            await resumed.DisposeAsync();
            throw;
        }
    }

    private static FileStream Open(string path, FileMode mode) =>
        // Unbuffered and asynchronous: a chunk's write runs on the thread pool while this thread hashes it.
        new(path, mode, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);

    /// <summary>Hashes and writes <paramref name="chunk"/> (the two overlap).</summary>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancel)
    {
        var write = _file.WriteAsync(chunk, cancel);
        _sha.AppendData(chunk.Span);
        await write;
        Written += chunk.Length;
    }

    /// <summary>The SHA-256 of the bytes written (once: the hash starts again after).</summary>
    public Sha256Digest Digest() => Sha256Digest.FromBytes(_sha.GetHashAndReset());

    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync();
        _sha.Dispose();
    }
}

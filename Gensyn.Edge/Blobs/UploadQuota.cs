using System.Collections.Concurrent;
using System.Globalization;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Grpc.Core;

namespace Gensyn.Edge.Blobs;

/// <summary>
/// Blob bytes per uploader key: each upload a key starts is recorded under <c>uploads/KEY/HASH</c> in the blob store's directory (holding
/// the declared size), and counts against the key's quota with its declared size while partial and its stored size once complete, until
/// the blob is collected. An upload that would take a key past its quota is refused before a byte is written.
/// </summary>
public sealed class UploadQuota(BlobStore store, long quotaBytes)
{
    private readonly ConcurrentDictionary<string, object> _locks = new(StringComparer.OrdinalIgnoreCase);

    public long QuotaBytes => quotaBytes;

    private string KeyDirectory(string key) => Path.Combine(store.Directory, "uploads", key.ToLowerInvariant());

    /// <summary>The bytes <paramref name="key"/>'s uploads hold: partial ones at their declared size, stored ones at theirs.</summary>
    public long Used(string key)
    {
        lock (_locks.GetOrAdd(key, _ => new object())) return Count(key);
    }

    /// <summary>Counts an upload of <paramref name="size"/> bytes of <paramref name="hash"/> against <paramref name="key"/>, or refuses it with ResourceExhausted.</summary>
    public void Reserve(string key, Sha256Digest hash, long size)
    {
        lock (_locks.GetOrAdd(key, _ => new object()))
        {
            var marker = Path.Combine(KeyDirectory(key), hash.ToString());
            if (File.Exists(marker)) return;   // a resumed upload is already counted
            var used = Count(key);
            if (used + size > quotaBytes)
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"blob quota: {key}'s uploads hold {used:N0} of its {quotaBytes:N0} bytes, and blob {hash} adds {size:N0}; blobs no running job needs are collected after the retention period"));
            Directory.CreateDirectory(KeyDirectory(key));
            File.WriteAllText(marker, size.ToString(CultureInfo.InvariantCulture));
            // The partial file exists from here on, so that the count above sees this upload as in flight.
            var partial = BlobStreams.PartialPath(store, hash);
            Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
            using (File.Open(partial, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { }
        }
    }

    /// <summary>Forgets an upload that was refused or abandoned (its bytes no longer count).</summary>
    public void Release(string key, Sha256Digest hash)
    {
        lock (_locks.GetOrAdd(key, _ => new object()))
        {
            if (!store.Contains(hash)) File.Delete(Path.Combine(KeyDirectory(key), hash.ToString()));
        }
    }

    private long Count(string key)
    {
        var directory = KeyDirectory(key);
        if (!Directory.Exists(directory)) return 0;
        var used = 0L;
        foreach (var marker in Directory.EnumerateFiles(directory))
        {
            if (!Sha256Digest.TryParse(Path.GetFileName(marker), out var hash)) continue;
            var stored = new FileInfo(store.PathOf(hash));
            if (stored.Exists) used += stored.Length;
            else if (File.Exists(BlobStreams.PartialPath(store, hash)) && long.TryParse(File.ReadAllText(marker), CultureInfo.InvariantCulture, out var declared)) used += declared;
            else File.Delete(marker);   // collected, or an upload that expired
        }
        return used;
    }
}

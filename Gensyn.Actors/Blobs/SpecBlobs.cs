using System.Text;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// A job's spec as a blob: the job stores its YAML (UTF-8) under the spec's hash, and messages carry only the
/// <see cref="SpecRef"/>. A node that meets a ref it has not read fetches the blob, checks its hash and parses it once
/// (<see cref="JobSpecs"/>); a blob whose bytes do not hash to the ref is refused and never parsed.
/// </summary>
public static class SpecBlobs
{
    /// <summary>Stores <paramref name="yaml"/> under <paramref name="spec"/> unless it is there already.</summary>
    public static void Keep(BlobStore store, SpecRef spec, string yaml)
    {
        if (store.Contains(spec.Hash)) return;
        store.Put(spec.Hash, Encoding.UTF8.GetBytes(yaml));
    }

    /// <summary>The spec <paramref name="spec"/> names: the one this node has read, else read from the blob
    /// <paramref name="blob"/> gives (called only then).</summary>
    /// <exception cref="JobSpecException">The blob does not hash to the ref, or the spec breaks a rule.</exception>
    public static JobSpec Read(SpecRef spec, Func<Sha256Digest, byte[]> blob) =>
        JobSpecs.Shared.Get(spec, () => Text(spec, blob(spec.Hash)));

    /// <summary>The YAML in <paramref name="bytes"/>, once they are checked to be the blob <paramref name="spec"/>
    /// names.</summary>
    /// <exception cref="JobSpecException">The bytes hash to something else.</exception>
    public static string Text(SpecRef spec, byte[] bytes)
    {
        var actual = Sha256Digest.Of(bytes);
        if (actual != spec.Hash)
            throw new JobSpecException(
                $"spec blob {spec} refused: its bytes hash to {actual}, not to the spec reference");
        return Encoding.UTF8.GetString(bytes);
    }
}

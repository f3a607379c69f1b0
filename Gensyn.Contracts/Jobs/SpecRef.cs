using System.Text;

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// Names a job spec by the SHA-256 of its YAML text (UTF-8): two nodes that hold the same ref hold the same spec, so
/// each reads it once (<see cref="JobSpecs"/>), and the YAML itself can travel as a blob stored under this hash.
/// </summary>
public readonly record struct SpecRef(Sha256Digest Hash)
{
    /// <summary>The ref of <paramref name="yaml"/>.</summary>
    public static SpecRef Of(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return new SpecRef(Sha256Digest.Of(Encoding.UTF8.GetBytes(yaml)));
    }

    /// <summary>Whether <paramref name="yaml"/> is the text this ref names.</summary>
    public bool Matches(string yaml) => Of(yaml) == this;

    /// <summary>
    /// The key of a job's session (its data and model) on a node: the spec and the folder its relative paths were read
    /// from. Every session cache keys by this, so two assignments of one job share a session.
    /// </summary>
    public static (SpecRef Spec, string BaseDirectory) SessionKey(SpecRef spec, string baseDirectory) =>
        (spec, baseDirectory);

    public override string ToString() => Hash.ToString();
}

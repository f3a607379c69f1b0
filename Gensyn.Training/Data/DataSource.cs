using Gensyn.Training.Data.Packed;

namespace Gensyn.Training.Data;

/// <summary>
/// Where a node reads a job's data: files under its data directory (MNIST in <c>DATA_DIR/datasets</c>, a local spec's
/// own paths), and a spec that names a packed dataset (<c>dataset.manifest</c>) from <see cref="Packed"/> only. Without
/// one, a packed dataset is read from the data directory's own packed store (<see cref="PackedSource.Local"/>). A data
/// directory alone converts to a source, for the callers that read files only.
/// </summary>
public sealed record DataSource(string DataDirectory, PackedSource? Packed = null)
{
    public static implicit operator DataSource(string dataDirectory) => new(dataDirectory);

    /// <summary>The packed datasets this node reads: <see cref="Packed"/>, or the data directory's own store.</summary>
    public PackedSource PackedOrLocal => Packed ?? PackedSource.Local(DataDirectory);
}

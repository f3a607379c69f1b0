namespace Gensyn.Contracts.Datasets;

/// <summary>A packed dataset, manifest or chunk that cannot be used; the one-line message says what and what to
/// do.</summary>
public sealed class PackedDataException(string message) : Exception(message);

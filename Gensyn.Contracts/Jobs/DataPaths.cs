namespace Gensyn.Contracts.Jobs;

/// <summary>
/// The rules for the paths a network spec gives. Until data travels as blobs, every machine that runs a job reads its data from its
/// own <c>DATA_DIR/datasets</c> folder, and only from there: a path is relative to that folder and may not climb out of it. Links
/// inside the folder are checked where files are opened (Gensyn.Training's dataset files), since only the machine itself can see them.
/// </summary>
public static class DataPaths
{
    /// <summary>The folder network data paths are relative to, as an operator knows it.</summary>
    public const string NetworkRoot = "DATA_DIR/datasets";

    /// <summary>The folder under a data directory that network data paths are relative to.</summary>
    public const string DatasetsFolder = "datasets";

    /// <summary>The longest path a network spec may give.</summary>
    public const int MaxLength = 1024;

    private const string BlobPrefix = "sha256:";

    /// <summary>
    /// What is wrong with <paramref name="text"/> as a network data path, as the end of a line that names the field, or null; then
    /// <paramref name="normalized"/> is the path with '/' between its parts and no '.' parts.
    /// </summary>
    public static string? NetworkProblem(string text, out string normalized)
    {
        ArgumentNullException.ThrowIfNull(text);
        normalized = "";
        const string rule = $"a job on the network reads data only from under {NetworkRoot} on each machine that runs it";
        if (text.Length > MaxLength) return $"must be at most {MaxLength} characters, got {text.Length}";
        if (text.Any(char.IsControl)) return "must not contain control characters";
        if (text.Contains('\\')) return $"{rule}: separate folders with '/', got '{text}'";
        if (text.StartsWith('/') || text.StartsWith('~') || Path.IsPathRooted(text) || text.Contains(':'))
            return $"{rule}: give a path relative to it (e.g. corpus/books), got '{text}'";
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) return $"{rule}: a path may not climb out of it with '..', got '{text}'";
        if (parts.Count == 0) return $"{rule}: name a file or folder in it, got '{text}'";
        normalized = string.Join('/', parts);
        return null;
    }

    /// <summary>Whether <paramref name="text"/> names a blob by its hash: <c>sha256:</c> and 64 lowercase hex digits.</summary>
    public static bool IsBlobReference(string text) =>
        text.Length == BlobPrefix.Length + 64 && text.StartsWith(BlobPrefix, StringComparison.Ordinal)
        && text.AsSpan(BlobPrefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The reference to the blob whose SHA-256 is <paramref name="hex"/> (64 lowercase hex digits).</summary>
    public static string BlobReference(string hex) => BlobPrefix + hex;

    /// <summary>The hex digest a blob reference names.</summary>
    public static string BlobHex(string reference) =>
        IsBlobReference(reference) ? reference[BlobPrefix.Length..] : throw new ArgumentException($"not a blob reference: {reference}", nameof(reference));
}

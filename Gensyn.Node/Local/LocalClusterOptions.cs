namespace Gensyn.Node.Local;

/// <summary>
/// How a <see cref="LocalCluster"/> runs its nodes. <paramref name="Root"/>: where each node gets its data directory
/// (ROOT/NAME) and log (ROOT/NAME.log); <paramref name="SharedDataDirectory"/>: the data directory whose
/// <c>datasets</c> every node shares (a link), so nothing is fetched twice.
/// </summary>
public sealed record LocalClusterOptions(string Root, string SharedDataDirectory)
{
    /// <summary>Run <c>dotnet</c> on this gensyn.dll; null runs the build this process belongs to.</summary>
    public string? GensynDll { get; init; }

    /// <summary>The nodes' <c>--log-level</c>.</summary>
    public string LogLevel { get; init; } = "information";

    /// <summary>Environment variables every node gets (e.g. GENSYN_SERIALIZE_MESSAGES).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a node may take to be ready, and workers to register.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a failure to start carries the last lines of every node's log (for test failures) or only points at
    /// them.
    /// </summary>
    public bool LogsInErrors { get; init; }

    /// <summary>Whether <see cref="LocalCluster.Dispose"/> deletes <see cref="Root"/> (data and logs).</summary>
    public bool DeleteRoot { get; init; }

    /// <summary>The data directory (ROOT/NAME) of the client the cluster asks whether its nodes are ready.</summary>
    public string ClientName { get; init; } = "cli";
}

using System.Collections.Immutable;
using System.Text.Json;

namespace Gensyn.Actors.Workers;

/// <summary>
/// What a worker's shard runner has done, as the worker itself knows it: the shard it runs now, and the latest runs
/// that finished their work (<see cref="Completed"/>) or stopped because the coordinator abandoned the shard or its
/// session ended (<see cref="Stopped"/>). Pure; the runner writes it to DATA_DIR/worker-state.json
/// (<see cref="WriteTo"/>) on every change, so an operator or a supervisor can see it without reading the log.
/// </summary>
public sealed record WorkerShardState
{
    /// <summary>The most finished and stopped runs kept (the latest).</summary>
    public const int MaxKept = 50;

    public const string FileName = "worker-state.json";

    /// <summary>One shard assignment as the worker names it.</summary>
    public sealed record Run(string JobId, int Round, int Shard, int Epoch);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public Run? Current { get; private init; }
    public ImmutableList<Run> Completed { get; private init; } = [];
    public ImmutableList<Run> Stopped { get; private init; } = [];

    public WorkerShardState Running(Run shard) => this with { Current = shard };

    /// <summary>The run of <paramref name="shard"/> ended: its work done, stopped, or failed (neither list).</summary>
    public WorkerShardState Ended(Run shard, bool completed, bool stopped) => this with
    {
        Current = Current == shard ? null : Current,
        Completed = completed ? Keep(Completed.Add(shard)) : Completed,
        Stopped = stopped ? Keep(Stopped.Add(shard)) : Stopped,
    };

    /// <summary>
    /// The runner let go of the shard (it may still be winding down; its end is recorded by <see cref="Ended"/>).
    /// </summary>
    public WorkerShardState Idle() => this with { Current = null };

    private static ImmutableList<Run> Keep(ImmutableList<Run> list) =>
        list.Count > MaxKept ? list.RemoveRange(0, list.Count - MaxKept) : list;

    /// <summary>Replaces DATA_DIR/worker-state.json at once (written aside, then moved over the old one).</summary>
    public void WriteTo(string dataDirectory, string workerId)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = path + ".tmp";
        var content = new
        {
            pid = Environment.ProcessId, workerId, current = Current, completed = Completed, stopped = Stopped,
        };
        File.WriteAllText(temporary, JsonSerializer.Serialize(content, Json));
        File.Move(temporary, path, overwrite: true);
    }
}

using System.Collections.Concurrent;
using System.Threading.Channels;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Wire;
using Microsoft.Extensions.Logging;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The dashboard's live streams (Server-Sent Events). A page subscribes to the network or to one job; when a job
/// journals events (<see cref="JobChanged"/>), its view is asked once and pushed to every page open on it (the full
/// view to its payer's sessions, the public summary to the rest), and the network's figures are pushed to the network
/// pages. Refreshes of one job never run twice at once: changes that arrive during one are folded into the next. A slow
/// page drops its oldest updates, never blocks the others. At most <see cref="DashboardSettings.MaxStreams"/> streams
/// are open at once.
/// </summary>
public sealed class LiveHub(DashboardData data, DashboardSettings settings, ILogger logger)
{
    /// <summary>The job one stream follows (null: the network) and the address its session signs as (null:
    /// none).</summary>
    public sealed class Stream(JobId? job, string? address)
    {
        public JobId? Job { get; } = job;
        public string? Address { get; } = address;
        public Channel<string> Out { get; } = Channel.CreateBounded<string>(
            new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    }

    private readonly ConcurrentDictionary<Stream, byte> _streams = new();
    // The refreshes in progress, each with the change to refresh for next (null: none came in meanwhile).
    private readonly Dictionary<string, string?> _running = [];
    private readonly object _gate = new();
    private const string NetworkKey = "";

    public int Count => _streams.Count;

    /// <summary>Opens a stream, or null when the edge holds as many as it may.</summary>
    public Stream? Open(JobId? job, string? address)
    {
        if (_streams.Count >= settings.MaxStreams) return null;
        var stream = new Stream(job, address);
        _streams[stream] = 0;
        return stream;
    }

    public void Close(Stream stream) => _streams.TryRemove(stream, out _);

    /// <summary>What a stream gets first: the current job or network, as a <c>snapshot</c> event.</summary>
    public async Task<string> SnapshotAsync(Stream stream, CancellationToken cancel) => stream.Job is { } job
        ? Event("snapshot", DashboardJson.Write(await data.JobAsync(job, stream.Address, cancel)))
        : Event("snapshot", await NetworkJsonAsync(cancel));

    /// <summary>A job journalled events: refresh the pages open on it, and the network pages.</summary>
    public void Changed(JobChanged change)
    {
        var kind = Priority.FirstOrDefault(change.What.Contains) ?? "job";
        if (_streams.Keys.Any(s => s.Job is { } j && j == change.JobId)) Refresh(change.JobId.Value, kind);
        if (kind is not "job" && _streams.Keys.Any(s => s.Job is null)) Refresh(NetworkKey, "network");
    }

    /// <summary>The network's figures moved (the sampler saw it): refresh the network pages.</summary>
    public void NetworkChanged()
    {
        if (_streams.Keys.Any(s => s.Job is null)) Refresh(NetworkKey, "network");
    }

    /// <summary>The order in which one change names its kind: the most telling first.</summary>
    private static readonly string[] Priority = ["state", "round", "purge", "verdict", "settlement", "shard"];

    private void Refresh(string key, string kind)
    {
        lock (_gate)
        {
            if (_running.ContainsKey(key))
            {
                _running[key] = kind;
                return;
            }
            _running[key] = null;
        }
        _ = Task.Run(() => RefreshLoop(key, kind));
    }

    private async Task RefreshLoop(string key, string kind)
    {
        while (true)
        {
            try
            {
                if (key == NetworkKey) PushNetwork(Event(kind, await NetworkJsonAsync(CancellationToken.None)));
                else await PushJob((JobId)key, kind);
            }
            catch (Exception e)
            {
                logger.LogDebug("Dashboard refresh of {Key} failed: {Reason}", key.Length == 0 ? "the network" : key,
                    e.GetBaseException().Message);
            }
            lock (_gate)
            {
                if (_running[key] is { } next)
                {
                    (kind, _running[key]) = (next, null);
                    continue;
                }
                _running.Remove(key);
                return;
            }
        }
    }

    private async Task<string> NetworkJsonAsync(CancellationToken cancel)
    {
        var network = await data.NetworkAsync(cancel);
        var settlements = await data.SettlementsAsync(cancel);
        return DashboardJson.Write(new { network, settlements });
    }

    private async Task PushJob(JobId job, string kind)
    {
        var view = await data.ViewAsync(job, CancellationToken.None);
        string? owner = null, summary = null;
        foreach (var stream in _streams.Keys.Where(s => s.Job is { } j && j == job))
        {
            var own = DashboardData.Owns(view, stream.Address);
            var text = own
                ? owner ??= Event(kind, DashboardJson.Write(new JobCard(view, true, DashboardData.Chart(view))))
                : summary ??= Event(kind,
                    DashboardJson.Write(new JobCard(Requesters.RequesterEdgeService.Summary(view), false, null)));
            stream.Out.Writer.TryWrite(text);
        }
    }

    private void PushNetwork(string text)
    {
        foreach (var stream in _streams.Keys.Where(s => s.Job is null)) stream.Out.Writer.TryWrite(text);
    }

    /// <summary>One Server-Sent Event: its name and a one-line JSON payload.</summary>
    public static string Event(string name, string json) => $"event: {name}\ndata: {json}\n\n";
}

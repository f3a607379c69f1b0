using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;

namespace Gensyn.Training.Training;

/// <summary>
/// One job's data and a session over it (training or inference), kept while consecutive uses name the same job (an equal key)
/// and replaced — the old one disposed — when another job's come. Use it from one thread: libtorch sessions are per thread.
/// </summary>
public sealed class JobSessionCache<TSession> : IDisposable where TSession : class, IDisposable
{
    private (object Key, DatasetSplits Data, TSession Session)? _cached;
    private DateTime _lastUse;

    /// <summary>How long the cached session has gone unused; null when none is cached.</summary>
    public TimeSpan? IdleFor => _cached is null ? null : DateTime.UtcNow - _lastUse;

    /// <summary>The session of <paramref name="key"/>'s job: the cached one, or one over <paramref name="spec"/>'s data
    /// (read from <paramref name="source"/> on a miss only).</summary>
    public (TSession Session, DatasetSplits Data) Get(object key, Func<JobSpec> spec, DataSource source, Func<JobSpec, DatasetSplits, TSession> create)
    {
        _lastUse = DateTime.UtcNow;
        if (_cached is { } c && c.Key.Equals(key)) return (c.Session, c.Data);
        Forget();
        var job = spec();
        var data = DatasetLoader.Load(job, source);
        try
        {
            var session = create(job, data);
            _cached = (key, data, session);
            return (session, data);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the cached session and its data: any, or only <paramref name="key"/>'s when given.</summary>
    public void Forget(object? key = null)
    {
        if (_cached is not { } c || (key is not null && !c.Key.Equals(key))) return;
        _cached = null;
        c.Session.Dispose();
        c.Data.Dispose();
    }

    public void Dispose() => Forget();
}

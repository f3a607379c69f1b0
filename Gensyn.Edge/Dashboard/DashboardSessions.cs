using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// Dashboard sign-in. A signed <c>CreateDashboardSession</c> call mints a one-time token for its signer (<see
/// cref="Mint"/>); a browser exchanges it, once and within <see cref="DashboardSettings.TokenLifetime"/>, for a session
/// id kept in an HttpOnly cookie (<see cref="Exchange"/>) that names the same address until <see
/// cref="DashboardSettings.SessionLifetime"/> passes. Tokens and session ids are 256 random bits; the browser never
/// sees a key. Each address holds at most <see cref="DashboardSettings.MaxSessionsPerAddress"/> tokens and sessions
/// (its oldest go first), the edge at most <see cref="DashboardSettings.MaxSessions"/>.
/// </summary>
public sealed class DashboardSessions(DashboardSettings settings, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Entry> _tokens = new();
    private readonly ConcurrentDictionary<string, Entry> _sessions = new();
    private readonly object _gate = new();

    private sealed record Entry(string Address, DateTimeOffset Expires, DateTimeOffset Created);

    /// <summary>A one-time sign-in token for <paramref name="address"/>, and until when it may be exchanged.</summary>
    /// <exception cref="InvalidOperationException">The edge holds <see cref="DashboardSettings.MaxSessions"/>
    /// already.</exception>
    public (string Token, DateTimeOffset Expires) Mint(string address)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            Sweep(now);
            if (_tokens.Count + _sessions.Count >= settings.MaxSessions)
                throw new InvalidOperationException(
                    "the coordinator holds as many dashboard sessions as it may; try again in a few minutes");
            Trim(address);
            var token = NewId();
            var expires = now + settings.TokenLifetime;
            _tokens[token] = new Entry(address, expires, now);
            return (token, expires);
        }
    }

    /// <summary>The session a token opens (null: unknown, used or expired); the token is gone either way.</summary>
    public (string Session, string Address, DateTimeOffset Expires)? Exchange(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64 || !_tokens.TryRemove(token, out var entry)) return null;
        var now = _clock.GetUtcNow();
        if (entry.Expires <= now) return null;
        var session = NewId();
        var expires = now + settings.SessionLifetime;
        lock (_gate) _sessions[session] = new Entry(entry.Address, expires, now);
        return (session, entry.Address, expires);
    }

    /// <summary>The address a live session id names, or null.</summary>
    public string? AddressOf(string? session)
    {
        if (string.IsNullOrEmpty(session) || session.Length > 64 || !_sessions.TryGetValue(session, out var entry))
            return null;
        if (entry.Expires > _clock.GetUtcNow()) return entry.Address;
        _sessions.TryRemove(session, out _);
        return null;
    }

    public int Count => _tokens.Count + _sessions.Count;

    public TimeSpan SessionLifetime => settings.SessionLifetime;

    private static string NewId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .Replace('+', '-').Replace('/', '_').TrimEnd('=');

    /// <summary>Drops <paramref name="address"/>'s oldest tokens and sessions until it has room for one more.</summary>
    private void Trim(string address)
    {
        var held = _tokens.Select(t => (Map: _tokens, t.Key, t.Value))
            .Concat(_sessions.Select(s => (Map: _sessions, s.Key, s.Value)))
            .Where(e => string.Equals(e.Value.Address, address, StringComparison.OrdinalIgnoreCase))
            .OrderBy(e => e.Value.Created).ToList();
        foreach (var (map, key, _) in held.Take(Math.Max(0, held.Count - settings.MaxSessionsPerAddress + 1)))
            map.TryRemove(key, out _);
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _tokens) if (entry.Expires <= now) _tokens.TryRemove(key, out _);
        foreach (var (key, entry) in _sessions) if (entry.Expires <= now) _sessions.TryRemove(key, out _);
    }
}

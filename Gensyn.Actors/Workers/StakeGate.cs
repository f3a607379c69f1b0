namespace Gensyn.Actors.Workers;

/// <summary>What the stake gate says about a registration: pass, refuse (with the chain's reason), or wait.</summary>
public enum StakeVerdict { Passes, Refused, Waits }

/// <summary>
/// The stake gate's rules, with no actors in them: a provider registers only while its stake, as last read from the
/// chain, meets the network's minimum. A good stake is read again after <paramref name="goodFor"/>, a short one after
/// <paramref name="shortFor"/>; a key never read waits for the chain's answer (its registration is kept and goes
/// through then), and a read that failed keeps what was last known and is tried again after
/// <paramref name="retryAfter"/>.
/// </summary>
/// <typeparam name="TRegistration">What waits for the chain's answer (a registration).</typeparam>
public sealed class StakeGate<TRegistration>(
    TimeSpan? goodFor = null, TimeSpan? shortFor = null, TimeSpan? retryAfter = null)
    where TRegistration : class
{
    private readonly TimeSpan _goodFor = goodFor ?? TimeSpan.FromMinutes(1);
    private readonly TimeSpan _shortFor = shortFor ?? TimeSpan.FromSeconds(2);
    private readonly TimeSpan _retryAfter = retryAfter ?? TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (string? Problem, DateTime At)> _stakes = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _reading = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TRegistration> _waiting = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The verdict on <paramref name="registration"/> of key <paramref name="address"/> at <paramref name="now"/>, the
    /// chain's reason when refused, and whether the stake must be read from the chain now (no read of it is under way
    /// and what is known is stale or nothing).
    /// </summary>
    public (StakeVerdict Verdict, string? Problem, bool ReadNow) Check(
        string address, TRegistration registration, DateTime now)
    {
        var known = _stakes.TryGetValue(address, out var stake);
        var stale = !known || now - stake.At > (stake.Problem is null ? _goodFor : _shortFor);
        var readNow = stale && _reading.Add(address);
        if (!known)
        {
            _waiting[address] = registration;  // goes through when the chain answers
            return (StakeVerdict.Waits, null, readNow);
        }
        return stake.Problem is null
            ? (StakeVerdict.Passes, null, readNow)
            : (StakeVerdict.Refused, stake.Problem, readNow);
    }

    /// <summary>
    /// The chain answered for <paramref name="address"/> (<paramref name="problem"/>: why its stake is short, or null);
    /// returns the registration that waited for this answer, if any, to be checked again.
    /// </summary>
    public TRegistration? Answered(string address, string? problem, DateTime now)
    {
        _reading.Remove(address);
        _stakes[address] = (problem, now);
        return _waiting.Remove(address, out var registration) ? registration : null;
    }

    /// <summary>
    /// The chain could not be read (unreachable: no shortfall): what was last known stands (a registered worker stays
    /// registered) until a read after <see cref="_retryAfter"/>; a registration waiting for it is dropped (the worker
    /// registers again within seconds).
    /// </summary>
    public void ReadFailed(string address, DateTime now)
    {
        _reading.Remove(address);
        if (_stakes.TryGetValue(address, out var last)) _stakes[address] = (last.Problem, now - _goodFor + _retryAfter);
        _waiting.Remove(address);
    }
}

using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A registered worker process as the registry knows it: its id, key and ref, and when it last registered.
/// </summary>
public sealed record WorkerSession<TRef>(WorkerId WorkerId, string Address, TRef Ref, DateTime LastSeen);

/// <summary>What the registry decided about a registration: refused (one line for the worker), or admitted.</summary>
/// <param name="Known">The same process registering again (not counted, not logged).</param>
/// <param name="Replaced">The silent process of the same id that the newcomer takes over from, if any.</param>
public sealed record Admission<TRef>(string? Refusal, bool Known = false, WorkerSession<TRef>? Replaced = null)
{
    public static Admission<TRef> Refused(string reason) => new(reason);
}

/// <summary>
/// The registry's rules, with no actors in them: who is registered (one live process per worker id), which key owns
/// each id (<see cref="WorkerIdOwners"/>), and what a registration must pass before its worker is matched on: sane
/// self-reported figures and device (<see cref="RegistrationRules"/>), an Ethereum address, a fresh profile signed by
/// that address for this network (<see cref="SignedProfiles"/>), a key that is not convicted
/// (<see cref="ConvictionProblem"/>), the key's id and rate limits, and the id's owner. The stake is checked between
/// the signature and the limits (<see cref="StakeGate{TRegistration}"/>), by the registry actor.
/// </summary>
/// <param name="silentAfter">A process not heard from for this long may be replaced by a new one with its id and
/// key.</param>
/// <param name="where">Where a process runs, in words (its ref, when omitted).</param>
public sealed class RegistryState<TRef>(
    RegistrationRules rules, SignedProfiles profiles, TimeSpan silentAfter, Func<TRef, string>? where = null)
    where TRef : notnull
{
    private readonly Dictionary<WorkerId, WorkerSession<TRef>> _sessions = [];
    private readonly WorkerIdOwners _owners = new();
    private readonly Dictionary<string, KeyConvicted> _convicted = new(StringComparer.OrdinalIgnoreCase);

    public RegistrationRules Rules => rules;
    public IReadOnlyCollection<WorkerSession<TRef>> Sessions => _sessions.Values;

    /// <summary>
    /// Why <paramref name="register"/>'s profile may not be matched on (its figures, its address, its signature), in
    /// one line a provider can act on; null when it may.
    /// </summary>
    public string? ProfileProblem(RegisterWorker register, long nowUnixMs) =>
        InvalidProfile(register) ?? SignatureProblem(register, nowUnixMs);

    /// <summary>Why <paramref name="register"/>'s signature does not pass (<see cref="SignedProfiles"/>); null when
    /// it does.</summary>
    public string? SignatureProblem(RegisterWorker register, long nowUnixMs) => profiles.Problem(register, nowUnixMs);

    /// <summary>
    /// Why <paramref name="register"/>'s profile breaks the network's rules (its figures, its address), so that no
    /// registration of it can ever pass (<see cref="RefusalKind.Invalid"/>); null when it does not. What
    /// <see cref="ProfileProblem"/> adds, the signature and its freshness, may pass at a later registration.
    /// </summary>
    public string? InvalidProfile(RegisterWorker register)
    {
        if (rules.ProfileProblem(register) is { } invalid) return invalid;
        return Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(register.Address) ? null
            : $"'{register.Address}' is not an Ethereum address; a worker signs its results with its key";
    }

    /// <summary>
    /// Admits process <paramref name="worker"/> as <paramref name="workerId"/> of key <paramref name="address"/> at
    /// <paramref name="now"/>, or says why not: the key's registrations in the last minute, its number of ids, the id's
    /// owner, or a live process already holding the id. A live worker's periodic re-registration is not counted.
    /// </summary>
    public Admission<TRef> Admit(WorkerId workerId, string address, TRef worker, DateTime now)
    {
        _sessions.TryGetValue(workerId, out var holder);
        var known = holder is not null && EqualityComparer<TRef>.Default.Equals(holder.Ref, worker);
        var limited = known ? null : rules.CountRegistration(address, now)
            ?? (_owners.OwnerOf(workerId) is null ? rules.NewIdProblem(address, _owners.IdsOf(address)) : null);
        if (limited is not null) return Admission<TRef>.Refused(limited);
        // An id belongs to the first key that registered it: another key may not take it over, even once its owner is
        // gone.
        if (_owners.Claim(workerId, address) is { } owner)
            return Admission<TRef>.Refused(
                $"worker id {workerId} belongs to another key ({owner}); choose another --worker-id");
        var replaced = known ? null : holder;
        // One identity, one live process: while the old process still re-registers, the newcomer (with the same key)
        // waits; once it has been silent for a while (dead, or restarted under a new address) the newcomer takes over.
        if (replaced is not null && now - replaced.LastSeen < silentAfter)
            return Admission<TRef>.Refused(
                $"worker id {workerId} is in use by a live process at {Where(replaced.Ref)}; retrying");
        _sessions[workerId] = new WorkerSession<TRef>(workerId, address, worker, now);
        return new Admission<TRef>(null, known, replaced);
    }

    /// <summary>
    /// Key <paramref name="conviction"/> names is convicted: it is admitted no more (<see cref="ConvictionProblem"/>),
    /// and its sessions are forgotten now; returns them, so that each is dismissed and told why. Told again, it
    /// changes nothing.
    /// </summary>
    public IReadOnlyList<WorkerSession<TRef>> Convict(KeyConvicted conviction)
    {
        if (string.IsNullOrEmpty(conviction.Address)) return [];
        _convicted.TryAdd(conviction.Address, conviction);
        var sessions = _sessions.Values.Where(s => string.Equals(s.Address, conviction.Address,
            StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var session in sessions) _sessions.Remove(session.WorkerId);
        return sessions;
    }

    /// <summary>Why key <paramref name="address"/> is given no work, in one line, when it is convicted; null when it
    /// is not.</summary>
    public string? ConvictionProblem(string address) =>
        _convicted.TryGetValue(address ?? "", out var c)
            ? $"key {c.Address} is convicted ({Ground(c.Ground)}: {OneLine(c.Reason)}; evidence {c.EvidenceHash}): " +
              "a convicted key takes no more work on this network"
            : null;

    private static string Ground(ConvictionGround ground) => ground switch
    {
        ConvictionGround.InvalidAnswer => "an invalid answer",
        _ => ground.ToString().ToLowerInvariant(),
    };

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'],
        StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private string Where(TRef worker) => where?.Invoke(worker) ?? worker.ToString() ?? "";

    /// <summary>The session of process <paramref name="worker"/>, or null.</summary>
    public WorkerSession<TRef>? SessionOf(TRef worker) =>
        _sessions.Values.FirstOrDefault(s => EqualityComparer<TRef>.Default.Equals(s.Ref, worker));

    /// <summary>Forgets process <paramref name="worker"/> (gone, or turned away); its id stays its key's.</summary>
    public WorkerSession<TRef>? Remove(TRef worker)
    {
        if (SessionOf(worker) is not { } session) return null;
        _sessions.Remove(session.WorkerId);
        return session;
    }
}

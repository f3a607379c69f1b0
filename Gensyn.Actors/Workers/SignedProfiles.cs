using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Workers;

/// <summary>
/// The rule a worker's capability profile must pass before it is matched on: it is signed by the key it names, for this
/// network (the EIP-712 domain of the coordinators' chain), and it is fresh: signed at most <see cref="MaxAge"/> ago
/// (and not more than <see cref="Skew"/> ahead), and not older than the last profile accepted for the same worker id,
/// so an old profile (a higher throughput, a lower price) cannot be replayed in place of the current one. A profile
/// already accepted (workers re-register every few seconds) is not checked again.
/// </summary>
public sealed class SignedProfiles(Func<ClaimDomain?> network, TimeSpan maxAge, TimeSpan skew)
{
    /// <summary>HOCON: how old a signed capability profile may be when the registry first sees it.</summary>
    public const string MaxAgeSetting = "gensyn.signing.profile-max-age";

    /// <summary>HOCON: how far ahead of the registry's clock a profile's signing time may be.</summary>
    public const string SkewSetting = "gensyn.signing.clock-skew";

    private const int MaxRemembered = 100_000;

    private readonly Dictionary<string, (string Signature, CapabilityClaim Claim)> _accepted = [];

    public TimeSpan MaxAge => maxAge;
    public TimeSpan Skew => skew;

    /// <summary>Reads <see cref="MaxAgeSetting"/> and <see cref="SkewSetting"/> (defaults 10 and 2 minutes).</summary>
    public static SignedProfiles FromConfig(Akka.Configuration.Config config, Func<ClaimDomain?> network) =>
        new(network, config.GetTimeSpan(MaxAgeSetting, TimeSpan.FromMinutes(10)),
            config.GetTimeSpan(SkewSetting, TimeSpan.FromMinutes(2)));

    /// <summary>Null when <paramref name="register"/> may be matched on; otherwise one line saying why not.</summary>
    public string? Problem(RegisterWorker register, long nowUnixMs)
    {
        if (network() is not { } domain) return "the coordinator does not know its chain yet; retrying";
        var claim = CapabilityClaim.From(register, domain);
        var known = _accepted.TryGetValue(register.WorkerId, out var last);
        if (register.Signature is { } signature && known && last == (signature, claim)) return null;
        var check = ClaimSigner.Check(claim, register.Signature, register.Address);
        if (!check.Valid)
            return $"the capability profile is not signed by the worker's key {register.Address} for {domain} " +
                   $"({check.Reason})";
        var age = TimeSpan.FromMilliseconds(nowUnixMs - register.IssuedAtUnixMs);
        if (age > maxAge)
            return $"the capability profile was signed {Describe(age)} ago, more than {Describe(maxAge)}: " +
                   "a stale profile is refused; restart the worker or fix its clock";
        if (-age > skew)
            return $"the capability profile is signed {Describe(-age)} ahead of the coordinator's clock " +
                   $"(at most {Describe(skew)}); check the worker's clock";
        if (known && register.IssuedAtUnixMs < last.Claim.IssuedAtUnixMs)
            return $"the capability profile is older than the one already accepted for worker {register.WorkerId} " +
                   "(a replay)";
        if (_accepted.Count >= MaxRemembered) _accepted.Clear();
        _accepted[register.WorkerId] = (register.Signature!, claim);
        return null;
    }

    private static string Describe(TimeSpan span) =>
        span.TotalMinutes >= 2 ? $"{span.TotalMinutes:0} minutes" : $"{span.TotalSeconds:0} seconds";
}

using System.Collections.Immutable;
using Akka.Configuration;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// cluster.hocon <c>gensyn.purge</c>: a key whose session is alive and that leaves
/// <paramref name="RefusalsToConvict"/> challenges in a row unanswered is convicted of refusal.
/// </summary>
public sealed record PurgeSettings(int RefusalsToConvict)
{
    public const string Section = "gensyn.purge";

    public static readonly PurgeSettings Default = new(RefusalsToConvict: 3);

    public static PurgeSettings From(Config config) =>
        new(Math.Max(1, config.GetInt($"{Section}.refusals-to-convict", Default.RefusalsToConvict)));
}

/// <summary>
/// What the network holds against one key (<see cref="Address"/>): its unanswered challenges since its last accepted
/// result (only those its live session left unanswered), and its conviction once it is convicted (final).
/// </summary>
public sealed record KeyStanding(string Address)
{
    /// <summary>The canonical texts of the challenges left unanswered in a row, oldest first.</summary>
    public ImmutableList<string> Unanswered { get; init; } = [];

    public KeyConvicted? Conviction { get; init; }

    public bool Convicted => Conviction is not null;
}

/// <summary>
/// When a key is convicted, with no actors in it. A fraud verdict convicts at once; so does an invalid answer (the key
/// answered, with something that cannot be checked). Unanswered challenges convict only when they repeat
/// (<see cref="PurgeSettings.RefusalsToConvict"/> in a row) while the key's session is alive: that is refusal. A
/// worker whose process died left its challenge unanswered by fault, not by choice, and is never convicted for it. An
/// accepted result ends a run of unanswered challenges. A conviction is final.
/// </summary>
public static class ConvictionRule
{
    /// <summary>
    /// <paramref name="standing"/> after <paramref name="verdict"/> (journalled by job <paramref name="jobId"/>);
    /// <paramref name="sessionAlive"/>: whether the worker's session was alive when its challenge expired.
    /// </summary>
    public static KeyStanding After(KeyStanding standing, string jobId, ShardVerified verdict, bool sessionAlive,
                                    PurgeSettings settings)
    {
        if (!string.Equals(standing.Address, verdict.WorkerAddress, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"the verdict is about key {verdict.WorkerAddress}, not {standing.Address}: " +
                "judge each key by its own verdicts",
                nameof(verdict));
        if (standing.Convicted || standing.Address.Length == 0) return standing;
        switch (verdict.Outcome)
        {
            case VerdictOutcome.Accepted:
                return standing with { Unanswered = [] };
            case VerdictOutcome.Fraud:
                return Convict(standing, ConvictionGround.Fraud, $"fraud in job {jobId}: {verdict.Reason}",
                    JobLedger.Evidence(jobId, verdict), verdict.At, jobId);
            case VerdictOutcome.Invalid:
                return Convict(standing, ConvictionGround.InvalidAnswer,
                    $"an invalid answer in job {jobId}: {verdict.Reason}", Evidence(jobId, verdict), verdict.At, jobId);
            case VerdictOutcome.Unavailable when sessionAlive:
                var unanswered = standing.Unanswered.Add(Evidence(jobId, verdict));
                if (unanswered.Count < settings.RefusalsToConvict) return standing with { Unanswered = unanswered };
                return Convict(standing with { Unanswered = unanswered }, ConvictionGround.Refusal,
                    $"{unanswered.Count} challenges in a row left unanswered while its session was alive " +
                    $"(last: job {jobId}: {verdict.Reason})", string.Join("\n", unanswered), verdict.At, jobId);
            default:
                // A dead process's silence is a fault; an inconclusive check blames nobody.
                return standing;
        }
    }

    /// <summary>The canonical text of a verdict that is not fraud: what a conviction for it cites.</summary>
    public static string Evidence(string jobId, ShardVerified v) =>
        $"gensyn-{v.Outcome.ToString().ToLowerInvariant()}|{jobId}|round {v.Round}|shard {v.Shard}|epoch {v.Epoch}|" +
        $"worker {v.WorkerId}|{v.WorkerAddress}|root {v.MerkleRoot}|steps {string.Join(",", v.Steps)}|" +
        $"secret {v.ChallengeSecret}|result-signature {v.ResultSignature}|reason {v.Reason}";

    /// <summary>keccak-256 (hex) of canonical evidence text, as a slash records it on chain.</summary>
    public static string HashOf(string evidence) => EscrowIds.Hex(EscrowIds.EvidenceHash(evidence));

    private static KeyStanding Convict(KeyStanding standing, ConvictionGround ground, string reason, string evidence,
                                       DateTimeOffset at, string jobId) =>
        standing with { Conviction = new KeyConvicted(standing.Address, ground, reason, HashOf(evidence), at, jobId) };
}

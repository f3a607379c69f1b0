using System.Collections.Immutable;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// What a job shows, built from its events and never persisted: its log lines, its verdicts, its compute time, and
/// the <c>status</c> view. It folds the same events as the job's <see cref="JobState"/> (which it carries, so that a
/// line can name the spec or the round's match rate), so changing what <c>status</c> or <c>logs</c> show never changes
/// the journal or the snapshot format.
/// </summary>
public sealed record JobProjection
{
    /// <summary>The most verdicts the status view lists (the latest).</summary>
    public const int MaxVerdictsShown = 50;

    public JobState State { get; private init; } = new();
    public ImmutableList<JobLogEntry> Log { get; private init; } = [];
    public ImmutableList<VerdictView> Verdicts { get; private init; } = [];

    /// <summary>The job's purges: results revoked after the fact and rollbacks, in order.</summary>
    public ImmutableList<PurgeView> Purges { get; private init; } = [];

    /// <summary>The keys convicted after the job completed whose results are in its model
    /// (<see cref="AuditDue"/>).</summary>
    public ImmutableList<AuditView> Audits { get; private init; } = [];
    public double TrainSeconds { get; private init; }
    public double VerifySeconds { get; private init; }

    /// <summary>The projection of a journal's events, from the first.</summary>
    public static JobProjection Of(IEnumerable<IJobEvent> events) =>
        events.Aggregate(new JobProjection(), (p, e) => p.Apply(e));

    /// <summary>The projection after <paramref name="e"/>.</summary>
    public JobProjection Apply(IJobEvent e)
    {
        var (before, after) = (State, State.Apply(e));
        var next = this with { State = after };
        if (e is ShardVerified v)
        {
            next = next with
            {
                Verdicts = Verdicts.Add(
                    new VerdictView(v.Round, v.Shard, v.Epoch, v.WorkerId, v.Outcome, v.Reason, v.Steps.Count)),
                TrainSeconds = TrainSeconds + v.TrainSeconds,
                VerifySeconds = VerifySeconds + v.VerifySeconds,
            };
        }
        if (Purge(e) is { } purge) next = next with { Purges = Purges.Add(purge) };
        if (e is RoundCompleted completed) next = next with { Purges = Recomputed(Purges, completed) };
        if (e is AuditDue a)
            next = next with
            {
                Audits = Audits.Add(new AuditView(a.Address, a.Ground.ToString().ToLowerInvariant(), a.Reason,
                    a.EvidenceHash, a.Results, a.At)),
            };
        return Lines(e, before, after).Aggregate(next, (p, text) => p with
        {
            Log = p.Log.Add(new JobLogEntry(p.Log.Count, e.At, text)),
        });
    }

    /// <summary>A rollback whose discarded rounds are all aggregated again once <paramref name="completed"/> is: its
    /// recomputation took from the rollback until then.</summary>
    private static ImmutableList<PurgeView> Recomputed(ImmutableList<PurgeView> purges, RoundCompleted completed)
    {
        var open = purges.FindLastIndex(p => p.Action == "rolled-back");
        if (open < 0 || purges[open] is not { RecomputedSeconds: null } rollback
                     || rollback.DiscardedRounds.DefaultIfEmpty(rollback.Round).Max() != completed.Round)
            return purges;
        return purges.SetItem(open,
            rollback with { RecomputedSeconds = Math.Max(0, (completed.At - rollback.At).TotalSeconds) });
    }

    private static PurgeView? Purge(IJobEvent e) => e switch
    {
        ResultRevoked r => new PurgeView("revoked", r.Round, r.Shard, r.WorkerId, r.WorkerAddress, r.Reason,
            r.EvidenceHash, [], r.At),
        RoundsRolledBack b => new PurgeView("rolled-back", b.FromRound, null, null, null, b.Reason, b.EvidenceHash,
            b.DiscardedRounds, b.At),
        JobReopened o => new PurgeView("reopened", o.FromRound, null, null, null, o.Reason, o.EvidenceHash, [], o.At),
        _ => null,
    };

    /// <summary>The log lines an event adds.</summary>
    private static IEnumerable<string> Lines(IJobEvent e, JobState before, JobState after)
    {
        switch (e)
        {
            case JobSubmitted s:
                var spec = after.Spec!;
                yield return Kinds.JobKinds.Of(spec).Describe(spec);
                if (s.Payer is not null)
                    yield return $"{s.Payer} deposited {Gens.Format(s.DepositMicros)} {after.PaidIn} in escrow";
                if (s.Price is { } locked)
                    yield return $"price locked: {locked.PricePerHour:0.######} GENS per compute-hour, " +
                                 $"{Gens.Format(locked.ResultPayoutMicros)} GENS per accepted result ({locked.Basis})";
                break;
            case RoundStarted r:
                yield return $"round {r.Round} started from {Short(r.GlobalState)}";
                break;
            case ShardAssigned a:
                yield return $"round {a.Round} shard {a.Shard} assigned to worker {a.WorkerId} (epoch {a.Epoch})";
                break;
            case ShardReleased x:
                yield return $"round {x.Round} shard {x.Shard} lost worker {x.WorkerId} (epoch {x.Epoch}): {x.Reason}";
                break;
            case ShardCheckpointSaved k when k.Round == before.Round && !before.Shards[k.Shard].Done
                                             && k.LocalStep > before.Shards[k.Shard].CheckpointStep:
                yield return $"round {k.Round} shard {k.Shard} checkpoint at step {k.LocalStep} " +
                             $"from worker {k.WorkerId}: {k.Checkpoint}";
                break;
            case ShardCheckpointDiscarded d:
                yield return $"round {d.Round} shard {d.Shard} checkpoint {Short(d.Checkpoint)} discarded: " +
                             $"{d.Reason}; the shard restarts from the round's start";
                break;
            case ReplicaSealed sealedResult:
                yield return $"round {sealedResult.Round} shard {sealedResult.Shard} replica {sealedResult.Replica}: " +
                             $"worker {sealedResult.WorkerId} sealed its result (epoch {sealedResult.Epoch})";
                break;
            case ShardVerified { Outcome: VerdictOutcome.Accepted } v:
                yield return $"round {v.Round} shard {v.Shard} verified: worker {v.WorkerId}'s result accepted " +
                             $"({v.Reason})";
                break;
            case ShardVerified v:
                yield return $"round {v.Round} shard {v.Shard} REJECTED ({v.Outcome.ToString().ToLowerInvariant()}): " +
                             $"worker {v.WorkerId}: {v.Reason}; " +
                             "the shard re-runs elsewhere and the worker is excluded from this job";
                break;
            case ShardCompleted c:
                yield return $"round {c.Round} shard {c.Shard} completed by worker {c.WorkerId}: " +
                             $"mean loss {c.MeanLoss:F4}, root {Short(c.MerkleRoot)}";
                break;
            case RoundCompleted rc:
                var (rate, paid, convicted) = (after.History[^1].MatchRate, after.History[^1].Paid,
                    after.History[^1].Convicted ?? []);
                var unpaid = (paid, rate >= JobState.PaymentThreshold) switch
                {
                    (true, _) => "",
                    (false, true) => " (only convicted keys' verdicts: the round is not paid)",
                    _ => $" (below {JobState.PaymentThreshold:P0}: the round is not paid)",
                };
                if (convicted.Count > 0)
                    unpaid += $"; not counted and not paid: the convicted key(s) {string.Join(", ", convicted)}";
                var test = rc.TestAccuracy is { } accuracy ? $", test accuracy {accuracy:P2}" : "";
                yield return $"round {rc.Round} aggregated: mean loss {rc.MeanLoss:F4}{test}, " +
                             $"checkpoint {Short(rc.GlobalState)}, match rate {rate:P1}{unpaid}";
                break;
            case ResultRevoked r:
                var failed = r.Outcome == VerdictOutcome.Unverifiable
                    ? "could not be verified again, and its key is convicted"
                    : "failed its full re-verification";
                yield return $"round {r.Round} shard {r.Shard} REVOKED ({r.Outcome.ToString().ToLowerInvariant()}): " +
                             $"worker {r.WorkerId}'s accepted result {failed}: {r.Reason}; " +
                             $"evidence {r.EvidenceHash}; the key is excluded from this job";
                break;
            case RoundsRolledBack b:
                var discarded = string.Join(", ", b.DiscardedRounds);
                yield return $"ROLLED BACK to the start of round {b.FromRound} (rounds {discarded} discarded): " +
                             $"{b.Reason}; evidence {b.EvidenceHash}; the job recomputes from there with other workers";
                break;
            case RefusalCharged c:
                yield return (c.Ground == ConvictionGround.InvalidAnswer
                                 ? $"CONVICTION CHARGED: key {c.Address}, convicted of an invalid answer, had " +
                                   $"{c.Unanswered} result(s) judged invalid here"
                                 : $"REFUSAL CHARGED: key {c.Address}, convicted of refusal, left {c.Unanswered} " +
                                   "challenge(s) unanswered here") + "; its stake pays their recomputation" +
                             (c.TakesSlash ? " and the conviction's slash" : "") + $"; evidence {c.EvidenceHash}";
                break;
            case JobReopened reopened:
                yield return $"REOPENED by an audit: {reopened.Reason}; evidence {reopened.EvidenceHash}; " +
                             "the job recomputes and completes again, and the convicted key's stake pays the " +
                             "recomputation";
                break;
            case AuditDue a:
                yield return $"AUDIT DUE: key {a.Address}, whose {a.Results} result(s) are in this model, was " +
                             $"convicted ({a.Ground.ToString().ToLowerInvariant()}: {a.Reason}); evidence " +
                             $"{a.EvidenceHash}; {AuditHint(after.JobId.ToString())}";
                break;
            case JobCompleted done:
                yield return $"completed: test accuracy {done.TestAccuracy:P2}, test loss {done.TestLoss:F4}, " +
                             $"final digest {done.FinalDigest}";
                break;
            case JobFailed or JobCancelled:
                yield return $"{after.Phase.ToString().ToLowerInvariant()}: {after.Reason}";
                break;
            case SettlementPosted p:
                var o = p.Outcome;
                var token = p.Order.Kind == SettlementKind.Slash ? "GENS" : after.PaidIn;
                yield return $"{p.Order.Label} {o.Status.ToString().ToLowerInvariant()}: " +
                             $"{Gens.Format(o.AmountMicros)} {token}" +
                             (o.TxHash is null ? "" : $", tx {o.TxHash}") +
                             (o.Reason.Length == 0 ? "" : $" ({o.Reason})");
                break;
        }
    }

    /// <summary>The status view; <paramref name="progress"/>, <paramref name="verifying"/> and
    /// <paramref name="waiting"/> are what the round's shard actors last reported (live, never journaled).</summary>
    public JobView View(IReadOnlyDictionary<int, (int Step, float Loss)> progress, IReadOnlySet<int>? verifying = null,
        IReadOnlyDictionary<int, string>? waiting = null)
    {
        var s = State;
        return new JobView(s.JobId, s.Spec?.Name ?? "", s.Phase, Math.Max(s.Round, 0), s.Spec?.Rounds ?? 0,
            s.Spec?.Shards ?? 0, s.Spec?.InnerSteps ?? 0, s.MatchRate, s.SubmittedAt, s.FinishedAt, s.Reason,
            s.Result?.FinalDigest.ToString(), s.Result?.TestAccuracy, s.Result?.TestLoss, s.Result?.TestPerplexity,
            s.History,
            s.RoundOpen ? s.Shards.Select(shard => ShardView(shard, progress, verifying, waiting)).ToList() : [],
            Verdicts.TakeLast(MaxVerdictsShown).ToList(), VerifySeconds, TrainSeconds,
            s.Ledger.View(s.JobId, s.History, s.Phase), s.Spec is { } spec ? Kinds.JobKinds.Of(spec).Name : "train",
            s.Ledger.Price, s.Owner, Purges.IsEmpty ? null : Purges, Audits.IsEmpty ? null : Audits);
    }

    /// <summary>What a user does about an audit mark, in one line.</summary>
    public static string AuditHint(string jobId) =>
        $"`gensyn audit {jobId}` re-verifies the convicted key's results in this job";

    private ShardView ShardView(ShardRecord s, IReadOnlyDictionary<int, (int Step, float Loss)> progress,
        IReadOnlySet<int>? verifying, IReadOnlyDictionary<int, string>? waiting)
    {
        var state = s.Done ? "done"
            : s.WorkerId is null ? "waiting"
            : verifying?.Contains(s.Shard) == true ? "verifying"
            : "running";
        var live = progress.TryGetValue(s.Shard, out var p) ? p : ((int Step, float Loss)?)null;
        return new ShardView(s.Shard, state, s.WorkerId, s.Epoch,
            s.Done ? State.StepsOf(s.Shard) : live?.Step ?? 0,
            State.StepsOf(s.Shard),
            s.Done ? s.MeanLoss : live is { } l && !float.IsNaN(l.Loss) ? l.Loss : null,
            !s.Done && s.WorkerId is null && waiting?.TryGetValue(s.Shard, out var why) == true ? why : null);
    }

    private static string Short(Sha256Digest digest) => digest.ToString()[..12];
}

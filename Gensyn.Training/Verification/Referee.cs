using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// The referee's ruling on a <see cref="Divergence"/> at step <see cref="Step"/>: <see cref="Culprit"/> names the
/// party (or both) whose claim is not <see cref="Expected"/>; the evidence (step, expected digest, both claims) is
/// what a slashing needs. <see cref="Culprit"/> is null when there is no ruling yet: the opened state before was
/// rejected (<see cref="Reason"/> says why), so open it from the other party and judge again.
/// <see cref="Expected"/> is the replayed digest (the assigned start digest for step 0), null when nothing was replayed.
/// </summary>
public sealed record RefereeRuling(Culprit? Culprit, string Reason, int Step, Sha256Digest? Expected, Sha256Digest ClaimA, Sha256Digest ClaimB)
{
    public bool StateRejected => Culprit is null;
}

/// <summary>
/// Settles a <see cref="Divergence"/> found by <see cref="Bisection"/> with at most one replayed segment (the c steps
/// between two committed states; one step when c = 1). At leaf 0 no replay is needed: a claim that is not the assigned
/// start digest is wrong. At leaf j ≥ 1 the referee takes the full state both parties agree on before segment j
/// (opened by either; it must hash to <see cref="Divergence.AgreedBefore"/>), replays segment j once with the job's
/// <see cref="TrainingSession"/> (<see cref="TrainingSession.ReplaySegment"/>), and
/// compares bit for bit: a claim that differs from the replay is wrong, so the two claims (which differ) cannot both
/// be right. Bit-exact comparison needs the referee in the parties' numeric class (threads, ISA, device).
/// Nothing here throws on a party's input. Uses the session, so it is not thread-safe; a replay overwrites the
/// session's live tensors.
/// </summary>
public sealed class Referee(TrainingSession session)
{
    /// <summary>
    /// Rules on <paramref name="divergence"/> in a shard of <paramref name="task"/> that was assigned the start state
    /// <paramref name="assignedStart"/>; <paramref name="before"/> is the opened state before the divergent step (unused for step 0).
    /// </summary>
    public RefereeRuling Judge(ShardTask task, Divergence divergence, Sha256Digest assignedStart, StateSnapshot? before)
    {
        var (step, claimA, claimB) = (divergence.Leaf, divergence.ClaimA, divergence.ClaimB);
        if (step < 0 || step > task.Segments) throw new ArgumentOutOfRangeException(nameof(divergence), $"leaf {step} is outside the shard's leaves 0..{task.Segments}");
        RefereeRuling Rule(Culprit? culprit, string reason, Sha256Digest? expected) =>
            new(culprit, $"step {step}: {reason}", step, expected, claimA, claimB);

        if (step == 0) return Blame(assignedStart, "the assigned start state");
        var agreed = divergence.AgreedBefore ?? throw new ArgumentException($"a divergence at leaf {step} carries the digest both parties agree on before it");
        if (step == 1 && agreed != assignedStart)
            return Rule(Culprit.Both, $"both trees start from {Short(agreed)}, not from the assigned start state {Short(assignedStart)}", null);
        if (before is null) return Rule(null, "no state before it was opened", null);
        try
        {
            var opened = before.Digest();
            if (opened != agreed) return Rule(null, $"the opened state before hashes to {Short(opened)}, not to the agreed leaf {step - 1} {Short(agreed)}", null);
        }
        catch (Exception e)
        {
            return Rule(null, $"the opened state before could not be hashed: {e.GetType().Name}: {e.Message}", null);
        }
        StateSnapshot replayed;
        try
        {
            replayed = session.ReplaySegment(task, before, step);
        }
        catch (Exception e)
        {
            // The state is genuinely the agreed one, yet no honest step can start from it: both trees are wrong before here.
            return Rule(Culprit.Both, $"the agreed state before it cannot be replayed ({e.GetType().Name}: {e.Message}), so neither tree is honest", null);
        }
        return Blame(replayed.Digest(), "the replay");

        RefereeRuling Blame(Sha256Digest expected, string what) => (claimA == expected, claimB == expected) switch
        {
            (true, _) => Rule(Culprit.B, $"{what} gives {Short(expected)} as A claims; B claims {Short(claimB)}", expected),
            (_, true) => Rule(Culprit.A, $"{what} gives {Short(expected)} as B claims; A claims {Short(claimA)}", expected),
            _ => Rule(Culprit.Both, $"{what} gives {Short(expected)}; A claims {Short(claimA)}, B claims {Short(claimB)}", expected),
        };
    }

    private static string Short(Sha256Digest digest) => Bisection.Short(digest);
}

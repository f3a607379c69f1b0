namespace Gensyn.Contracts.Messages;

// A key convicted of refusal: what its stake pays, the run of unanswered challenges the conviction board keeps across
// restarts, and the convictions the worker registry turns keys away for.

/// <summary>
/// Key <see cref="Address"/>, convicted of refusal (<see cref="EvidenceHash"/>: the conviction's), left
/// <see cref="Unanswered"/> of this job's challenges unanswered while its session was alive, the last in round
/// <see cref="Round"/>; each sent its shard to run again elsewhere, and its stake pays for those reruns at the job's
/// locked payout (a restitution to the requester). <see cref="TakesSlash"/>: this job's verdict convicted the key, so
/// it takes the conviction's slash (<c>gensyn.settlement.slash-amount</c>, split as today, citing the conviction's
/// evidence hash): once per conviction, whatever the number of jobs. A key convicted of an invalid answer
/// (<see cref="Ground"/>) is charged the same way, <see cref="Unanswered"/> then counting its results judged invalid
/// here (journals from before it have refusal charges only).
/// </summary>
public sealed record RefusalCharged(string Address, string EvidenceHash, int Unanswered, int Round, bool TakesSlash,
                                    DateTimeOffset At, ConvictionGround Ground = ConvictionGround.Refusal)
    : IJobEvent;

/// <summary>
/// The conviction board's journal: key <see cref="Address"/>'s run of challenges left unanswered in a row while its
/// session was alive is now <see cref="Unanswered"/> (their canonical texts, oldest first; empty: an accepted result
/// ended the run). Recovered, it keeps the run across restarts of the board.
/// </summary>
public sealed record RefusalRun(string Address, IReadOnlyList<string> Unanswered, DateTimeOffset At)
    : IGensynMessage;

/// <summary>The worker registry asks the conviction board for every conviction so far (when it starts): answered
/// with <see cref="ConvictedKeys"/>.</summary>
public sealed record GetConvictedKeys : IGensynMessage;

/// <summary>Convicted keys, from the conviction board to the worker registry: none of them is admitted or granted
/// work again. <see cref="Complete"/>: with the messages before it, every conviction so far (the answer to
/// <see cref="GetConvictedKeys"/>, or the board's after it recovers); not set when it tells of a new one.</summary>
public sealed record ConvictedKeys(IReadOnlyList<KeyConvicted> Convictions, bool Complete = false) : IGensynMessage;

namespace Gensyn.Node.Cli;

/// <summary>What the process exit code means, the same for every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;

    /// <summary><c>audit</c> found results of a convicted key that failed their replay: they were revoked and the job
    /// recomputed from the earliest affected round.</summary>
    public const int ResultsRevoked = 3;

    /// <summary>The coordinator is rate-limiting the caller's key (gRPC ResourceExhausted with a retry-after): try again later.</summary>
    public const int RateLimited = 75;

    /// <summary><c>worker</c>: the coordinators refused the worker's key for good: it is convicted (of fraud, an
    /// invalid answer or refusal) and the network admits it no more.</summary>
    public const int KeyConvicted = 77;

    /// <summary>
    /// What <c>worker</c> exits with when the coordinators refuse it for good: <see cref="KeyConvicted"/>, or
    /// <see cref="InvalidInput"/> for a profile that breaks the network's rules (its id, threads, device, price).
    /// </summary>
    public static int RefusedForGood(Gensyn.Contracts.Messages.RefusalKind kind) => kind switch
    {
        Gensyn.Contracts.Messages.RefusalKind.Convicted => KeyConvicted,
        Gensyn.Contracts.Messages.RefusalKind.Invalid => InvalidInput,
        _ => Failure,
    };

    /// <summary>The person at the terminal answered no to a confirmation (e.g. submit's <c>Proceed? [y/N]</c>): nothing was done.</summary>
    public const int Declined = Failure;
}

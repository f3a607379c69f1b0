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

    /// <summary>The person at the terminal answered no to a confirmation (e.g. submit's <c>Proceed? [y/N]</c>): nothing was done.</summary>
    public const int Declined = Failure;
}

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// A job spec could not be read. <see cref="Errors"/> lists every problem found, one line each,
/// naming the field by its YAML path (e.g. <c>training.inner-steps: must be &gt;= 1, got 0</c>);
/// <see cref="Exception.Message"/> is those lines joined by newlines.
/// </summary>
public sealed class JobSpecException : Exception
{
    /// <summary>Creates the exception for one problem.</summary>
    public JobSpecException(string error)
        : this([error])
    {
    }

    /// <summary>Creates the exception for all problems found; there must be at least one.</summary>
    public JobSpecException(IEnumerable<string> errors)
        : this(errors.ToArray())
    {
    }

    private JobSpecException(string[] errors)
        : base(string.Join('\n', errors))
    {
        if (errors.Length == 0)
        {
            throw new ArgumentException("A job spec error needs at least one message.", nameof(errors));
        }

        Errors = errors;
    }

    /// <summary>Every problem found, in the order the spec was read.</summary>
    public IReadOnlyList<string> Errors { get; }
}

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// The specs a node has read, by <see cref="SpecRef"/>: each spec is parsed once per node (as a network spec,
/// <see cref="JobSpecParser.ParseNetwork"/>), however many messages, events and actors name it. Bounded: past
/// <see cref="Capacity"/> specs the least recently used is dropped (and read again if it comes back). A spec that
/// fails to parse is not kept; each use gets the parser's errors. Thread-safe; parsed specs are shared.
/// </summary>
public sealed class JobSpecs
{
    /// <summary>How many specs a node keeps parsed by default (a spec is a few kilobytes).</summary>
    public const int DefaultCapacity = 256;

    private readonly Func<string, bool, JobSpec> _parse;
    private readonly Dictionary<SpecRef, LinkedListNode<(SpecRef Ref, JobSpec Spec)>> _byRef = [];
    private readonly LinkedList<(SpecRef Ref, JobSpec Spec)> _recent = new();
    private readonly Lock _lock = new();

    /// <param name="capacity">How many parsed specs to keep.</param>
    /// <param name="parse">
    /// Reads YAML (and whether it is a submission): <see cref="JobSpecParser.ParseNetwork"/>, or a test's counter.
    /// </param>
    public JobSpecs(int capacity = DefaultCapacity, Func<string, bool, JobSpec>? parse = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _parse = parse ?? ((yaml, submission) => JobSpecParser.ParseNetwork(yaml, submission));
    }

    /// <summary>This process's specs: every coordinator, verifier and worker actor reads specs through it.</summary>
    public static JobSpecs Shared { get; } = new();

    public int Capacity { get; }

    /// <summary>How many specs are kept now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byRef.Count;
        }
    }

    /// <summary>The network spec <paramref name="yaml"/>: the kept one, or parsed now and kept.</summary>
    /// <exception cref="JobSpecException">The text is not valid YAML or the spec breaks any rule.</exception>
    public JobSpec Get(string yaml) => Get(SpecRef.Of(yaml), yaml);

    /// <summary>
    /// The spec <paramref name="spec"/> names, read from <paramref name="yaml"/> on a miss. YAML whose hash is not
    /// <paramref name="spec"/> is refused, so no sender can have a node file one spec under another's name.
    /// </summary>
    /// <exception cref="JobSpecException">The YAML does not match the ref, is not YAML, or breaks a rule.</exception>
    public JobSpec Get(SpecRef spec, string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (TryGet(spec) is { } kept) return kept;
        if (!spec.Matches(yaml))
            throw new JobSpecException(
                $"the spec's YAML does not hash to {spec}; send the YAML whose SHA-256 the spec reference names");
        return Keep(spec, _parse(yaml, false));
    }

    /// <summary>
    /// The spec <paramref name="spec"/> names, its YAML loaded by <paramref name="load"/> only on a miss (a node that
    /// holds the ref but not the text fetches the blob then). Text whose hash is not the ref is refused, as above.
    /// </summary>
    /// <exception cref="JobSpecException">The YAML does not match the ref, is not YAML, or breaks a rule.</exception>
    public JobSpec Get(SpecRef spec, Func<string> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        return TryGet(spec) ?? Get(spec, load());
    }

    /// <summary>
    /// A spec a requester submits now: always parsed with the submission rules (<c>budget.price-per-step</c> is
    /// refused), then kept under its text with the defaults written out
    /// (<see cref="JobSpecParser.WithExplicitDefaults"/>), the text the job that starts from it journals, so that job
    /// is not parsed again.
    /// </summary>
    /// <exception cref="JobSpecException">The text is not valid YAML or the spec breaks any rule.</exception>
    public JobSpec Submission(string yaml)
    {
        var explicitYaml = JobSpecParser.WithExplicitDefaults(yaml);
        return Keep(SpecRef.Of(explicitYaml), _parse(explicitYaml, true));
    }

    /// <summary>The kept spec <paramref name="spec"/> names, or null.</summary>
    public JobSpec? TryGet(SpecRef spec)
    {
        lock (_lock)
        {
            if (!_byRef.TryGetValue(spec, out var node)) return null;
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value.Spec;
        }
    }

    private JobSpec Keep(SpecRef spec, JobSpec parsed)
    {
        lock (_lock)
        {
            if (_byRef.TryGetValue(spec, out var existing)) return existing.Value.Spec;
            _byRef[spec] = _recent.AddFirst((spec, parsed));
            while (_byRef.Count > Capacity)
            {
                var last = _recent.Last!;
                _recent.RemoveLast();
                _byRef.Remove(last.Value.Ref);
            }
            return parsed;
        }
    }
}

using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// Who convicts: a persistent coordinator singleton that every job tells of the verdicts it journals
/// (<see cref="ReportVerdict"/>). It keeps each key's <see cref="KeyStanding"/> by <see cref="ConvictionRule"/>, and
/// when a key is convicted it journals the conviction (final) and tells every job in the catalog to purge that key's
/// work (<see cref="PurgeKey"/>; a job that has ended ignores it). A job that recovers asks for every conviction so
/// far (<see cref="GetConvictions"/>), and the board tells every job again after it recovers itself, so a conviction
/// reaches each running job across restarts of either. It journals each change of a key's run of unanswered
/// challenges too (<see cref="RefusalRun"/>), so that a run short of a conviction survives a restart of the board
/// (a journal from before the runs were journalled recovers its convictions, with every run starting from none). The
/// worker registry hears of every conviction (<see cref="ConvictedKeys"/>: when it is made, after the board recovers,
/// and when the registry asks), and admits no convicted key again.
/// </summary>
public sealed class ConvictionBoard : ReceivePersistentActor, IWithTimers
{
    public const string SingletonName = "convictions";

    /// <summary>The catalog is asked again this often while convictions wait to be told to the jobs.</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(5);

    private sealed record Tick;

    private readonly Dictionary<string, KeyStanding> _standings = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<KeyConvicted> _convictions = [];
    private readonly List<KeyConvicted> _untold = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="catalog">The job catalog: which jobs to tell.</param>
    /// <param name="jobs">The job region (resolved when first needed: it starts after the board).</param>
    /// <param name="settings">gensyn.purge.</param>
    /// <param name="registry">The worker registry, told of every conviction (none: nobody is told).</param>
    public static Props Props(IActorRef catalog, Func<IActorRef> jobs, PurgeSettings settings,
                              IActorRef? registry = null) =>
        Akka.Actor.Props.Create(() => new ConvictionBoard(catalog, jobs, settings, registry));

    /// <summary>At most this many convictions travel in one <see cref="ConvictedKeys"/> (the message size
    /// limit).</summary>
    private const int ConvictionsPerMessage = 200;

    public override string PersistenceId => "convictions";

    public ConvictionBoard(IActorRef catalog, Func<IActorRef> jobs, PurgeSettings settings,
                           IActorRef? registry = null)
    {
        Recover<KeyConvicted>(Convicted);
        Recover<RefusalRun>(Ran);
        Recover<RecoveryCompleted>(_ =>
        {
            if (_convictions.Count == 0) return;
            if (registry is not null) TellConvictions(registry);
            _untold.AddRange(_convictions);
            catalog.Tell(new ListJobIds());
        });
        Command<ReportVerdict>(report =>
        {
            var key = report.Verdict.WorkerAddress;
            if (string.IsNullOrEmpty(key)) return;
            var before = _standings.GetValueOrDefault(key) ?? new KeyStanding(key);
            var after = ConvictionRule.After(before, report.JobId, report.Verdict, report.SessionAlive, settings);
            if (after.Conviction is not { } conviction || before.Convicted)
            {
                if (before.Convicted || after.Unanswered.SequenceEqual(before.Unanswered))
                {
                    _standings[key] = after;
                    return;
                }
                Persist(new RefusalRun(key, after.Unanswered, report.Verdict.At), Ran);
                return;
            }
            Persist(conviction, c =>
            {
                Convicted(c);
                _log.Warning("Key {0} convicted ({1}): {2}; purging its work from every job", c.Address, c.Ground,
                    c.Reason);
                _untold.Add(c);
                registry?.Tell(new ConvictedKeys([c]));
                catalog.Tell(new ListJobIds());
                Timers.StartSingleTimer("retry", new Tick(), Retry);
            });
        });
        Command<GetConvictedKeys>(_ => TellConvictions(Sender));
        Command<GetConvictions>(get =>
        {
            foreach (var c in _convictions) Sender.Tell(new PurgeKey(get.JobId, c));
        });
        Command<JobIdList>(list =>
        {
            var region = jobs();
            foreach (var c in _untold)
            foreach (var id in list.JobIds)
                region.Tell(new PurgeKey(id, c));
            _untold.Clear();
            Timers.Cancel("retry");
        });
        Command<Tick>(_ =>
        {
            if (_untold.Count == 0) return;
            catalog.Tell(new ListJobIds());
            Timers.StartSingleTimer("retry", new Tick(), Retry);
        });
    }

    /// <summary>Tells <paramref name="to"/> every conviction so far, the last message marked complete (one empty
    /// message when there is none: the registry holds registrations until it knows).</summary>
    private void TellConvictions(IActorRef to)
    {
        var chunks = _convictions.Chunk(ConvictionsPerMessage).ToList();
        for (var i = 0; i < chunks.Count - 1; i++) to.Tell(new ConvictedKeys(chunks[i]));
        to.Tell(new ConvictedKeys(chunks.Count == 0 ? [] : chunks[^1], Complete: true));
    }

    /// <summary>A key's run of unanswered challenges, as journalled; a convicted key's run no longer
    /// matters.</summary>
    private void Ran(RefusalRun run)
    {
        if (_standings.GetValueOrDefault(run.Address) is { Convicted: true }) return;
        _standings[run.Address] = new KeyStanding(run.Address) { Unanswered = [.. run.Unanswered] };
    }

    private void Convicted(KeyConvicted c)
    {
        _standings[c.Address] = new KeyStanding(c.Address) { Conviction = c };
        _convictions.Add(c);
    }
}

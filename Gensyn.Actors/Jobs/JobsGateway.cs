using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Actors.Market;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// The requester's router on every coordinator (/user/jobs), reached only through the edge (Gensyn.Edge), which authenticates callers:
/// validates submissions before anything is persisted, prices them (<see cref="JobPricing"/>: the price a job starts
/// with is locked in its StartJob, and a deposit that cannot cover the job at that price is refused), answers quotes,
/// mints job ids, and routes the rest to the job's sharded entity, the catalog or the scheduler.
/// </summary>
public sealed partial class JobsGateway : ReceiveActor
{
    public const string Name = "jobs";
    public const string ServicePath = "/user/jobs";
    public const int MaxSpecChars = SpecBounds.MaxChars;

    /// <summary>What a job's base directory is from now on: nothing. Network specs read data from each machine's datasets folder.</summary>
    private const string NoBaseDirectory = "";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary><paramref name="chain"/>: the chain jobs are paid on; null on a network that does not settle (jobs need no deposit).</summary>
    public static Props Props(IActorRef jobRegion, IActorRef catalog, IActorRef scheduler, ChainLink? chain = null, IActorRef? settlement = null) =>
        Akka.Actor.Props.Create(() => new JobsGateway(jobRegion, catalog, scheduler, chain, settlement));

    private readonly IActorRef _scheduler;
    private readonly JobLimits _limits = JobLimits.From(Context.System.Settings.Config);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public JobsGateway(IActorRef jobRegion, IActorRef catalog, IActorRef scheduler, ChainLink? chain, IActorRef? settlement)
    {
        _scheduler = scheduler;
        var log = _log;
        var deadlines = DeadlineRule.From(Context.System.Settings.Config);
        ReceiveAsync<SubmitJob>(async submit =>
        {
            var replyTo = Sender;
            if (Read(submit.SpecYaml, replyTo) is not { } spec) return;
            if (chain is null)
            {
                // Nothing is paid on a network that does not settle, but the job's price is still locked and shown.
                if (await PriceAsync(spec, replyTo) is { } unpaid) jobRegion.Tell(new StartJob(NewJobId(), submit.SpecYaml, NoBaseDirectory, Price: unpaid, Owner: submit.Payer), replyTo);
                return;
            }
            if (submit.JobId is not { } id || submit.Payer is not { } payer || !IsJobId(id))
            {
                replyTo.Tell(new JobRejected(["this network pays on chain: deposit the budget in escrow under a new job id first (`gensyn submit` does both)"]));
                return;
            }
            if (await PriceAsync(spec, replyTo) is not { } price) return;
            long deposited;
            try
            {
                var runtime = await chain.WithinAsync(AskTimeout);
                if (SubmissionSignature.Problem(runtime.Info, id, submit) is { } unsigned)
                {
                    replyTo.Tell(new JobRejected([unsigned]));
                    return;
                }
                var quoted = DeadlineRule.Duration(JobPricing.Estimate(spec, price).DurationSeconds);
                (var problem, deposited) = await runtime.CheckDepositAsync(id, payer, spec.DepositMicros, deadlines, quoted, spec.Budget.Token).WaitAsync(AskTimeout);
                if (problem is not null)
                {
                    log.Info("Rejected job {0}: {1}", id, problem);
                    replyTo.Tell(new JobRejected([problem]));
                    return;
                }
            }
            catch (Exception e)
            {
                log.Warning("Could not check the deposit of {0}: {1}", id, e.GetBaseException().Message);
                replyTo.Tell(new RequestFailed($"could not check the deposit of {id} on chain ({e.GetBaseException().Message}); try again", InvalidInput: false));
                return;
            }
            if (JobPricing.DepositProblem(spec, price, deposited) is { } shortfall)
            {
                log.Info("Rejected job {0}: {1}", id, shortfall);
                replyTo.Tell(new JobRejected([shortfall]));
                return;
            }
            jobRegion.Tell(new StartJob(id, submit.SpecYaml, NoBaseDirectory, payer, deposited, price, payer), replyTo);
        });
        ReceiveAsync<QuoteJob>(async quote =>
        {
            var replyTo = Sender;
            if (Read(quote.SpecYaml, replyTo) is { } spec && await PriceAsync(spec, replyTo) is { } price) replyTo.Tell(price);
        });
        ReceiveAsync<GetChainInfo>(async _ =>
        {
            var replyTo = Sender;
            if (chain is null)
            {
                replyTo.Tell(new NoChain("this network does not settle on chain"));
                return;
            }
            try
            {
                replyTo.Tell((await chain.WithinAsync(AskTimeout)).Info);
            }
            catch (Exception e)
            {
                replyTo.Tell(new RequestFailed(e.GetBaseException().Message, InvalidInput: false));
            }
        });
        // Only the requester's own commands, never StartJob, SettlementSettled or another internal one: the edge translates each of its
        // calls into one of these, after it checked who the caller is and that the job is theirs.
        Receive<GetJobStatus>(command => ToJob(command));
        Receive<CancelJob>(command => ToJob(command));
        Receive<AuditJob>(command => ToJob(command));
        Receive<GetJobLog>(command => ToJob(command));
        Receive<GetJobResult>(command => ToJob(command));
        void ToJob(IJobCommand command)
        {
            if (!IsJobId(command.JobId)) Sender.Tell(new UnknownJob(command.JobId));
            else jobRegion.Forward(command);
        }
        Receive<ListWorkers>(list => scheduler.Forward(list));
        ReceiveAsync<GetMarket>(async get =>
        {
            var replyTo = Sender;
            try
            {
                var market = await scheduler.Ask<MarketView>(get, AskTimeout);
                var recent = settlement is null ? [] : await settlement.Ask<RecentSettlements>(new GetRecentSettlements(10), AskTimeout)
                    .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Settlements : []);
                replyTo.Tell(market with { RecentSettlements = recent });
            }
            catch (Exception e)
            {
                replyTo.Tell(new RequestFailed($"the scheduler did not answer ({e.GetBaseException().Message}); try again", InvalidInput: false));
            }
        });
        ReceiveAsync<ListJobs>(async list =>
        {
            var replyTo = Sender;
            var ids = await catalog.Ask<JobIdList>(new ListJobIds(), AskTimeout);
            var (page, next) = JobPages.Page(ids.JobIds, list.After, list.PageSize);
            var views = await Task.WhenAll(page.Select(id => jobRegion.Ask<IGensynMessage>(new GetJobStatus(id), AskTimeout)));
            replyTo.Tell(new JobList(views.OfType<JobView>().Where(v => JobPages.Owns(v, list.Owner)).ToList(), next));
        });
    }

    /// <summary>
    /// The spec a requester sent, or null after telling <paramref name="replyTo"/> what is wrong with it (nothing is persisted). It is
    /// read as a network spec (<see cref="JobSpecParser.ParseNetwork"/>): the requester's base directory is ignored, data is read only
    /// from under each machine's datasets folder, and no file the spec names is opened here. Then the work it asks for is held to
    /// this network's <see cref="JobLimits"/>.
    /// </summary>
    private JobSpec? Read(string yaml, IActorRef replyTo)
    {
        try
        {
            var spec = JobSpecs.Shared.Submission(yaml);
            var problems = _limits.Problems(spec);
            if (problems.Count == 0) return spec;
            _log.Info("Rejected a job spec over the limits: {0}", string.Join("; ", problems));
            replyTo.Tell(new JobRejected(problems));
            return null;
        }
        catch (JobSpecException e)
        {
            _log.Info("Rejected a job spec: {0}", string.Join("; ", e.Errors));
            replyTo.Tell(new JobRejected(e.Errors));
            return null;
        }
    }

    /// <summary>What <paramref name="spec"/> would lock now (see <see cref="JobPricing"/>), or null after telling <paramref name="replyTo"/> the scheduler did not answer.</summary>
    private async Task<JobPrice?> PriceAsync(JobSpec spec, IActorRef replyTo)
    {
        try
        {
            var needs = NetworkRules.Needs(spec, Context.System.Settings.Config);
            var price = await _scheduler.Ask<JobPrice>(new PriceJob(needs, spec.Shards * spec.Replicas), AskTimeout);
            return JobPricing.For(spec, price);
        }
        catch (Exception e)
        {
            replyTo.Tell(new RequestFailed($"the scheduler did not price the job ({e.GetBaseException().Message}); try again", InvalidInput: false));
            return null;
        }
    }

    public static JobId NewJobId() => JobId.New();

    public static bool IsJobId(string? id) => JobId.IsWellFormed(id);
}

using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// The requester's door on every coordinator (/user/jobs, registered with the ClusterClient receptionist):
/// validates submissions before anything is persisted, mints job ids, and routes the rest to the job's
/// sharded entity, the catalog or the scheduler.
/// </summary>
public sealed partial class JobsGateway : ReceiveActor
{
    public const string Name = "jobs";
    public const string ServicePath = "/user/jobs";
    public const int MaxSpecChars = 64 * 1024;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static Props Props(IActorRef jobRegion, IActorRef catalog, IActorRef registry) =>
        Akka.Actor.Props.Create(() => new JobsGateway(jobRegion, catalog, registry));

    public JobsGateway(IActorRef jobRegion, IActorRef catalog, IActorRef registry)
    {
        var log = Context.GetLogger();
        Receive<SubmitJob>(submit =>
        {
            if (submit.SpecYaml.Length > MaxSpecChars)
            {
                Sender.Tell(new JobRejected([$"the job spec is {submit.SpecYaml.Length:N0} characters; the limit is {MaxSpecChars:N0}"]));
                return;
            }
            try
            {
                JobSpecParser.Parse(submit.SpecYaml, string.IsNullOrEmpty(submit.BaseDirectory) ? "." : submit.BaseDirectory);
            }
            catch (JobSpecException e)
            {
                log.Info("Rejected a job spec: {0}", string.Join("; ", e.Errors));
                Sender.Tell(new JobRejected(e.Errors));
                return;
            }
            var id = NewJobId();
            jobRegion.Forward(new StartJob(id, submit.SpecYaml, submit.BaseDirectory));
        });
        Receive<IJobCommand>(command =>
        {
            if (!IsJobId(command.JobId)) Sender.Tell(new UnknownJob(command.JobId));
            else jobRegion.Forward(command);
        });
        Receive<ListWorkers>(list => registry.Forward(list));
        ReceiveAsync<ListJobs>(async _ =>
        {
            var replyTo = Sender;
            var ids = await catalog.Ask<JobIdList>(new ListJobIds(), AskTimeout);
            var views = await Task.WhenAll(ids.JobIds.Select(id => jobRegion.Ask<IGensynMessage>(new GetJobStatus(id), AskTimeout)));
            replyTo.Tell(new JobList(views.OfType<JobView>().ToList()));
        });
    }

    public static string NewJobId() => "job-" + Guid.NewGuid().ToString("N")[..8];

    public static bool IsJobId(string? id) => id is not null && JobIdPattern().IsMatch(id);

    [GeneratedRegex("^job-[0-9a-f]{8}$")]
    private static partial Regex JobIdPattern();
}

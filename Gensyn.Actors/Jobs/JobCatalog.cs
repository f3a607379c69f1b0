using Akka.Actor;
using Akka.Persistence;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>Every job id ever accepted, in order: a persistent cluster singleton behind `gensyn status`'s table.</summary>
public sealed class JobCatalog : ReceivePersistentActor
{
    public const string SingletonName = "job-catalog";

    private readonly List<JobId> _ids = [];
    private readonly HashSet<JobId> _known = [];

    public static Props Props() => Akka.Actor.Props.Create(() => new JobCatalog());

    public override string PersistenceId => "job-catalog";

    public JobCatalog()
    {
        Recover<JobCataloged>(Add);
        Command<CatalogJob>(c =>
        {
            if (!_known.Contains(c.JobId)) Persist(new JobCataloged(c.JobId, DateTimeOffset.UtcNow), Add);
        });
        Command<ListJobIds>(_ => Sender.Tell(new JobIdList(_ids.ToList())));
    }

    private void Add(JobCataloged e)
    {
        if (_known.Add(e.JobId)) _ids.Add(e.JobId);
    }
}

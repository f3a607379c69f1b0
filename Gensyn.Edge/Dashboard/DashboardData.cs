using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Requesters;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// What the dashboard shows, asked of the jobs gateway exactly as the requester edge asks it (the same messages, the
/// same owner rule: <see cref="RequesterEdgeService.Summary"/> for anyone but a job's payer), and shaped for the pages:
/// no worker key, no cluster address, ids shortened.
/// </summary>
public sealed class DashboardData(EdgeContext edge, MarketHistory history)
{
    /// <summary>How many characters of a worker id the public pages show.</summary>
    public const int ShortId = 12;

    public async Task<NetworkCard> NetworkAsync(CancellationToken cancel)
    {
        var workers = await Ask<WorkerList>(new ListWorkers(), cancel);
        var market = await Ask<MarketView>(new GetMarket(), cancel);
        var now = DateTimeOffset.UtcNow;
        var cards = workers.Workers.OrderBy(w => w.WorkerId, StringComparer.Ordinal)
            .Select(w => new WorkerCard(Shorten(w.WorkerId), w.Device, w.NumericClass, w.State,
                Math.Round(w.Throughput, 1), Math.Round(w.Reliability, 3), w.CompletedShards, w.Price)).ToList();
        var classes = workers.Workers.GroupBy(w => (w.NumericClass, w.State))
            .Select(g => new ClassCount(g.Key.NumericClass, g.Key.State, g.Count()))
            .OrderBy(c => c.Class, StringComparer.Ordinal).ThenBy(c => c.State, StringComparer.Ordinal).ToList();
        return new NetworkCard(Coordinators(), cards, classes, market.Classes, history.PriceChart(now),
            MarketHistory.VolumeChart(market.RecentSettlements, now));
    }

    public async Task<IReadOnlyList<SettlementCard>> SettlementsAsync(CancellationToken cancel) =>
        (await Ask<MarketView>(new GetMarket(), cancel)).RecentSettlements.OrderByDescending(s => s.At)
        .Select(s => new SettlementCard(s.JobId, s.Kind, s.Status, s.TxHash, Gens.Format(s.AmountMicros), s.GasUsed,
            s.At))
        .ToList();

    /// <summary>A job as <paramref name="caller"/> may see it: in full with its chart for its payer, else its public
    /// summary.</summary>
    public async Task<JobCard> JobAsync(JobId job, string? caller, CancellationToken cancel)
    {
        var view = await ViewAsync(job, cancel);
        return Owns(view, caller)
            ? new JobCard(view, true, Chart(view))
            : new JobCard(RequesterEdgeService.Summary(view), false, null);
    }

    /// <summary>A job's full view, for the edge to decide what each caller sees.</summary>
    public Task<JobView> ViewAsync(JobId job, CancellationToken cancel) => Ask<JobView>(new GetJobStatus(job), cancel);

    /// <summary>The caller's own jobs, newest first (one page of the catalog).</summary>
    public async Task<IReadOnlyList<JobView>> JobsAsync(string caller, CancellationToken cancel)
    {
        var page = new ListJobs(caller, null, edge.Limits.ListJobsPageSize);
        var list = await Ask<JobList>(page, cancel, TimeSpan.FromSeconds(30));
        return list.Jobs.Where(j => Owns(j, caller)).OrderByDescending(j => j.SubmittedAt).ToList();
    }

    /// <summary>The blob that holds a completed job's result, on this coordinator, for its payer only.</summary>
    /// <exception cref="UnauthorizedAccessException">The caller is not the job's payer.</exception>
    public async Task<(Sha256Digest Hash, string Path, bool Inference)> ResultAsync(JobId job, string caller,
        CancellationToken cancel)
    {
        var view = await Ask<JobView>(new GetJobStatus(job), cancel);
        if (!Owns(view, caller))
            throw new UnauthorizedAccessException($"only the key that submitted {job} may download its result");
        var offer = await Ask<BlobOffer>(new GetJobResult(job), cancel, TimeSpan.FromSeconds(60));
        if (!edge.Store.Contains(offer.Hash))
            await Actors.Blobs.BlobTransfer.ReceiveInto(offer, edge.Store,
                Akka.Streams.ActorMaterializer.Create(edge.System));
        edge.Store.Touch(offer.Hash);
        return (offer.Hash, edge.Store.PathOf(offer.Hash), view.IsInference);
    }

    /// <summary>Training loss per round (the mean of its shards'), and where the round was evaluated its test loss and
    /// test accuracy (in %, against the right-hand axis).</summary>
    public static string Chart(JobView view)
    {
        var rounds = view.RoundHistory;
        var loss = rounds.Select(r => ((double)r.Round + 1, r.MeanLoss)).ToList();
        var testLoss = rounds.Where(r => r.TestLoss is not null)
            .Select(r => ((double)r.Round + 1, r.TestLoss!.Value)).ToList();
        var accuracy = rounds.Where(r => r.TestAccuracy is not null)
            .Select(r => ((double)r.Round + 1, 100 * r.TestAccuracy!.Value)).ToList();
        List<ChartSeries> series = [new("training loss", MarketHistory.Palette[0], loss, Format: "0.###")];
        if (testLoss.Count > 0) series.Add(new("test loss", MarketHistory.Palette[4], testLoss, Format: "0.###"));
        if (accuracy.Count > 0 && !view.IsInference)
            series.Add(new("test accuracy %", MarketHistory.Palette[2], accuracy, RightAxis: true, Format: "0.#",
                Max: 100));
        return SvgChart.Render($"{view.Name}: loss and accuracy per round", "round", series);
    }

    public static bool Owns(JobView view, string? caller) =>
        caller is not null && view.Owner is { } owner
                           && string.Equals(owner, caller, StringComparison.OrdinalIgnoreCase);

    public static string Shorten(string id) => id.Length <= ShortId ? id : id[..(ShortId - 1)] + "…";

    private IReadOnlyList<CoordinatorCard> Coordinators()
    {
        var cluster = Akka.Cluster.Cluster.Get(edge.System);
        return cluster.State.Members.Where(m => m.HasRole("coordinator"))
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new CoordinatorCard(NameOf(m.Address), m.Status.ToString().ToLowerInvariant(),
                m.Address == cluster.SelfAddress))
            .ToList();
    }

    /// <summary>A stable short name for a member that does not give its cluster address away.</summary>
    private static string NameOf(Address address) =>
        "coordinator-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(address.ToString())))[..6];

    private async Task<T> Ask<T>(IGensynMessage message, CancellationToken cancel, TimeSpan? timeout = null)
        where T : class
    {
        IGensynMessage answer;
        try
        {
            answer = await edge.Gateway.Ask<IGensynMessage>(message, timeout ?? EdgeContext.AskTimeout, cancel);
        }
        catch (AskTimeoutException)
        {
            throw new TimeoutException("the cluster did not answer in time; reload the page");
        }
        return answer as T ?? throw answer switch
        {
            UnknownJob unknown => new KeyNotFoundException($"no job '{unknown.JobId}'"),
            RequestFailed { InvalidInput: true } failed => new DashboardInputException(failed.Message),
            RequestFailed failed => new TimeoutException(failed.Message),
            JobRejected rejected => new DashboardInputException(string.Join("; ", rejected.Errors)),
            _ => new InvalidOperationException($"the cluster answered {answer.GetType().Name}"),
        };
    }
}

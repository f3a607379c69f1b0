using System.Text.RegularExpressions;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Security;

namespace Gensyn.Tests.Metrics;

/// <summary>
/// The edge's <c>/metrics</c> as an operator's Prometheus scrapes it (over HTTPS, pinning the edge's certificate), on
/// a coordinator with one worker that runs real jobs: its text is Prometheus's, every metric docs/operations/metrics.md
/// lists is in it, and its counters move as a job runs.
/// </summary>
[Collection("cluster")]
public sealed partial class MetricsEndpointTests(EdgeFixture edge) : IClassFixture<EdgeFixture>, IDisposable
{
    private readonly MetricsScraper _scraper = new(edge.Edge);

    [Fact]
    public async Task Every_line_of_the_scrape_is_Prometheus_text_and_every_documented_metric_is_in_it()
    {
        // Counters and histograms appear once they are measured while the exporter listens: scrape, run a job, scrape.
        await _scraper.Text();
        await edge.Completed(await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 1, shards: 2, innerSteps: 8)));
        var text = await _scraper.Text();
        var samples = PrometheusText.Parse(text);

        var families = samples.Select(s => Family(s.Name)).ToHashSet();
        var documented = DocumentedMetrics();
        Assert.NotEmpty(documented);
        Assert.All(documented, name => Assert.True(families.Contains(name), $"{name} is documented but not scraped"));
        Assert.All(families.Where(f => f.StartsWith("gensyn_", StringComparison.Ordinal)),
            name => Assert.True(documented.Contains(name), $"{name} is scraped but not in docs/operations/metrics.md"));
    }

    [Fact]
    public async Task A_job_that_runs_moves_the_counters_of_finished_jobs_rounds_and_verdicts()
    {
        var before = await _scraper.Samples();
        var job = await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8));
        await edge.Completed(job);
        var after = await _scraper.Samples();

        Assert.True(Moved("gensyn_jobs_finished_total", ("state", "completed")) >= 1);
        Assert.True(Moved("gensyn_rounds_completed_total") >= 2);
        var verdicts = edge.JobEvents(job).Count(e => e.Type == nameof(Contracts.Messages.ShardVerified));
        Assert.True(verdicts >= 2, $"the job journaled {verdicts} verdicts");
        Assert.True(Moved("gensyn_verdicts_total") >= verdicts);
        Assert.True(Moved("gensyn_shard_duration_seconds_count", ("work", "verification")) >= verdicts);
        Assert.True(Moved("gensyn_shard_duration_seconds_count", ("work", "training")) >= verdicts);
        Assert.True(Moved("gensyn_journal_write_duration_seconds_count") >= 1);
        Assert.True(MetricsScraper.Sum(after, "gensyn_jobs", ("state", "completed")) >= 1);
        return;

        double Moved(string name, params (string, string)[] labels) =>
            MetricsScraper.Sum(after, name, labels) - MetricsScraper.Sum(before, name, labels);
    }

    [Fact]
    public async Task The_edges_gRPC_calls_are_counted_by_their_route_and_the_registered_worker_by_its_class()
    {
        await edge.ListWorkers();
        IReadOnlyList<PrometheusSample> samples = [];
        await Poll.Until(async () =>
            {
                samples = await _scraper.Samples();
                return MetricsScraper.Sum(samples, "http_server_request_duration_seconds_count",
                    ("http_route", "/gensyn.v1.RequesterEdge/ListWorkers")) >= 1;
            },
            EdgeFixture.GiveUpAfter, "ListWorkers to be counted");
        Assert.True(MetricsScraper.Sum(samples, "gensyn_workers", ("class", "cpu")) >= 1);
    }

    /// <summary>The metric families named in the table of docs/operations/metrics.md (<c>| `name` | type | ...</c>).
    /// </summary>
    private static HashSet<string> DocumentedMetrics()
    {
        var doc = File.ReadAllText(Path.Combine(GensynProcess.RepositoryRoot, "docs", "operations", "metrics.md"));
        return TableName().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet();
    }

    /// <summary>A sample's family: its name without the suffix of a histogram's series.</summary>
    private static string Family(string name)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return name[..^suffix.Length];
        return name;
    }

    [GeneratedRegex(@"^\| `([a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableName();

    public void Dispose() => _scraper.Dispose();
}

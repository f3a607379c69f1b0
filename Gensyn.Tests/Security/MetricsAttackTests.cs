using System.Net.Http;
using System.Security.Cryptography;
using Gensyn.Actors.Metrics;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Metrics;

namespace Gensyn.Tests.Security;

/// <summary>
/// Red-team tests of <c>/metrics</c>, which anyone who reaches the edge may scrape (docs/operations/metrics.md): what a
/// stranger sends or registers never becomes a label, so it can neither grow the scrape nor read ids and addresses
/// from it. (Its rate limit per address is in <see cref="EdgeLimitTests"/>.)
/// </summary>
[Collection("cluster")]
public sealed class MetricsAttackTests(EdgeFixture edge) : IClassFixture<EdgeFixture>, IDisposable
{
    private const int RequestsPerFlood = 60;
    private readonly MetricsScraper _scraper = new(edge.Edge);

    [Fact]
    public async Task A_strangers_paths_methods_and_headers_never_become_labels_so_a_second_flood_adds_no_series()
    {
        await edge.Completed(edge.SharedJobId);
        var firstTokens = await Flood();
        var first = await ScrapeAfter(firstTokens.Count);
        var secondTokens = await Flood();
        var second = await ScrapeAfter(firstTokens.Count + secondTokens.Count);

        foreach (var token in firstTokens.Concat(secondTokens))
            Assert.False(second.Text.Contains(token, StringComparison.OrdinalIgnoreCase),
                $"a stranger's token {token} appears in the scrape");
        // The flood's requests match no route: their series are the unrouted ones, which a new flood must not add to.
        Assert.Equal(Unrouted(first.Samples), Unrouted(second.Samples));
        Assert.All(PrometheusText.Parse(second.Text), s => Assert.DoesNotContain(s.Labels.Values,
            v => v.Contains("stranger", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task A_registered_strangers_worker_id_and_address_never_appear_in_the_scrape()
    {
        var key = WorkerKey.Generate();
        var workerId = "stranger-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var before = Workers(await _scraper.Samples());
        var (session, _) = await edge.Welcomed(key, workerId);
        await using var _session = session;

        string text = "";
        await Poll.Until(async () => Workers(PrometheusText.Parse(text = await _scraper.Text())) > before,
            EdgeFixture.GiveUpAfter, $"the gauge of workers to count {workerId}");
        Assert.DoesNotContain(workerId, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(key.Address[2..], text, StringComparison.OrdinalIgnoreCase);
        Assert.All(PrometheusText.Parse(text).Where(s => s.Name == "gensyn_workers"),
            s => Assert.Contains(s.Labels["class"], MetricLabels.WorkerClasses));
    }

    private static double Workers(IEnumerable<PrometheusSample> samples) =>
        MetricsScraper.Sum(samples, "gensyn_workers");

    /// <summary>
    /// Requests no route takes, each with a token of its own in its path, method, query and headers; returns the
    /// tokens.
    /// </summary>
    private async Task<List<string>> Flood()
    {
        var tokens = new List<string>();
        for (var i = 0; i < RequestsPerFlood; i++)
        {
            var token = "stranger" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            tokens.Add(token);
            var method = new HttpMethod(i % 2 == 0 ? "GET" : token.ToUpperInvariant());
            using var request = new HttpRequestMessage(method, $"/{token}/{i}?q={token}");
            request.Headers.TryAddWithoutValidation("User-Agent", token);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1." + (i % 250) + ".7");
            request.Headers.Referrer = new Uri($"https://{token}.example/");
            using var response = await _scraper.Http.SendAsync(request);
            Assert.False(response.IsSuccessStatusCode, $"{method} /{token} was answered {(int)response.StatusCode}");
        }
        return tokens;
    }

    /// <summary>A scrape once the edge's request metrics count at least <paramref name="unrouted"/> unrouted requests.
    /// </summary>
    private async Task<(string Text, IReadOnlyList<PrometheusSample> Samples)> ScrapeAfter(int unrouted)
    {
        var text = "";
        IReadOnlyList<PrometheusSample> samples = [];
        await Poll.Until(async () =>
            {
                samples = PrometheusText.Parse(text = await _scraper.Text());
                return samples.Where(s => s.Name == "http_server_request_duration_seconds_count" &&
                                          !s.Labels.ContainsKey("http_route")).Sum(s => s.Value) >= unrouted;
            },
            EdgeFixture.GiveUpAfter, $"the scrape to count {unrouted} unrouted requests");
        return (text, samples);
    }

    private static List<string> Unrouted(IEnumerable<PrometheusSample> samples) =>
        samples.Where(s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal) &&
                           !s.Labels.ContainsKey("http_route"))
            .Select(s => s.Series).Distinct().Order(StringComparer.Ordinal).ToList();

    public void Dispose() => _scraper.Dispose();
}

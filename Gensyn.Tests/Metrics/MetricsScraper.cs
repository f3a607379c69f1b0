using System.Net.Http;
using Gensyn.Edge;
using Gensyn.Edge.Metrics;
using Gensyn.Edge.Tls;

namespace Gensyn.Tests.Metrics;

/// <summary>
/// What an operator's Prometheus does: GET <c>/metrics</c> over HTTPS from the edge, trusting only the certificate
/// whose fingerprint it was given (the one the coordinator prints).
/// </summary>
public sealed class MetricsScraper : IDisposable
{
    public MetricsScraper(EdgeServer edge)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && EdgeCertificate.Fingerprint(certificate) == edge.Fingerprint;
        Http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{edge.Port}"), Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public HttpClient Http { get; }

    /// <summary>The scrape's text; fails unless it is answered 200.</summary>
    public async Task<string> Text()
    {
        using var response = await Http.GetAsync(EdgeMetrics.Path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode,
            $"GET {EdgeMetrics.Path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public async Task<IReadOnlyList<PrometheusSample>> Samples() => PrometheusText.Parse(await Text());

    /// <summary>The sum of <paramref name="name"/>'s samples with every label of <paramref name="labels"/>
    /// (0 when there is none).</summary>
    public static double Sum(IEnumerable<PrometheusSample> samples, string name,
                             params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Has(l.Label, l.Value))).Sum(s => s.Value);

    public void Dispose() => Http.Dispose();
}

using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Dashboard;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// The dashboard's door: sign-in links, session cookies, whose job is whose, and input limits, attacked over HTTPS on the edge's
/// own port (the fixture's payer owns <see cref="EdgeFixture.SharedJobId"/>; the stranger owns nothing).
/// </summary>
public partial class EdgeAttackTests
{
    private HttpClient Browser() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false, UseCookies = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    }) { BaseAddress = new Uri($"https://{edge.Door}/"), Timeout = TimeSpan.FromSeconds(30) };

    private async Task<string> SignInLink(WorkerKey key)
    {
        var request = new V1.DashboardSessionRequest();
        var reply = await edge.Requesters.CreateDashboardSessionAsync(request, edge.Sign(key, "CreateDashboardSession", request));
        return $"session?token={Uri.EscapeDataString(reply.Token)}";
    }

    /// <summary>The session cookie a sign-in link sets (name=value).</summary>
    private async Task<string> SessionOf(WorkerKey key)
    {
        using var browser = Browser();
        using var response = await browser.GetAsync(await SignInLink(key));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return cookie.Split(';')[0];
    }

    private static async Task<(HttpStatusCode Status, string Body)> Get(HttpClient browser, string path, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        using var response = await browser.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_sign_in_link_works_once_and_sets_a_cookie_scripts_cannot_read()
    {
        using var browser = Browser();
        var link = await SignInLink(edge.Payer);
        using var first = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie")).ToLowerInvariant();
        Assert.Contains("httponly", cookie);
        Assert.Contains("secure", cookie);
        Assert.Contains("samesite=strict", cookie);
        var (again, _) = await Get(browser, link);
        Assert.Equal(HttpStatusCode.Unauthorized, again);
        var (made, _) = await Get(browser, "session?token=" + new string('A', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, made);
    }

    [Fact]
    public async Task A_sign_in_token_needs_the_wallets_signature()
    {
        var request = new V1.DashboardSessionRequest();
        var unsigned = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.CreateDashboardSessionAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, unsigned.StatusCode);
        var headers = edge.Sign(edge.Stranger, "CreateDashboardSession", request);
        headers.Remove(headers.Get(Gensyn.Edge.Auth.RequestAuth.AddressHeader)!);
        headers.Add(Gensyn.Edge.Auth.RequestAuth.AddressHeader, edge.Payer.Address);   // claims to be the payer, signed by the stranger
        var forged = await Assert.ThrowsAsync<RpcException>(() => edge.Requesters.CreateDashboardSessionAsync(request, headers).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, forged.StatusCode);
    }

    [Fact]
    public async Task Another_requesters_session_sees_only_the_jobs_summary_and_cannot_download_its_model()
    {
        using var browser = Browser();
        var stranger = await SessionOf(edge.Stranger);
        var (status, body) = await Get(browser, $"api/jobs/{edge.SharedJobId}", stranger);
        Assert.Equal(HttpStatusCode.OK, status);
        using (var card = JsonDocument.Parse(body))
        {
            Assert.False(card.RootElement.GetProperty("owner").GetBoolean());
            Assert.Equal(0, card.RootElement.GetProperty("view").GetProperty("shards").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, card.RootElement.GetProperty("view").GetProperty("money").ValueKind);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(browser, $"api/jobs/{edge.SharedJobId}/result", stranger)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(browser, $"api/jobs/{edge.SharedJobId}/chart.svg", stranger)).Status);
        var (_, mine) = await Get(browser, "api/jobs", stranger);
        Assert.DoesNotContain(edge.SharedJobId, mine);
        var payer = await SessionOf(edge.Payer);
        using var full = JsonDocument.Parse((await Get(browser, $"api/jobs/{edge.SharedJobId}", payer)).Body);
        Assert.True(full.RootElement.GetProperty("owner").GetBoolean());
        Assert.Contains(edge.SharedJobId, (await Get(browser, "api/jobs", payer)).Body);
    }

    [Fact]
    public async Task A_made_up_session_cookie_signs_nobody_in()
    {
        using var browser = Browser();
        var forged = $"{DashboardEndpoints.SessionCookie}={new string('x', 43)}";
        using var card = JsonDocument.Parse((await Get(browser, $"api/jobs/{edge.SharedJobId}", forged)).Body);
        Assert.False(card.RootElement.GetProperty("owner").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(browser, $"api/jobs/{edge.SharedJobId}/result", forged)).Status);
        using var jobs = JsonDocument.Parse((await Get(browser, "api/jobs", forged)).Body);
        Assert.False(jobs.RootElement.GetProperty("signedIn").GetBoolean());
    }

    [Fact]
    public async Task The_public_network_page_names_no_worker_key()
    {
        using var browser = Browser();
        var workers = await edge.Requesters.ListWorkersAsync(new V1.ListWorkersRequest());
        var address = Assert.Single(Gensyn.Edge.Wire.EdgeJson.Read<Gensyn.Contracts.Messages.WorkerList>(workers.Json).Workers).Address;
        Assert.False(string.IsNullOrEmpty(address));
        var (status, body) = await Get(browser, "api/network");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(EdgeFixture.HonestId, body);
        Assert.DoesNotContain(address, body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(address[2..], body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pages_forbid_scripts_styles_and_connections_from_anywhere_else()
    {
        using var browser = Browser();
        foreach (var page in new[] { "", "quote", "settlements", "jobs", $"jobs/{edge.SharedJobId}" })
        {
            using var response = await browser.GetAsync(page);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy);
            Assert.Contains("script-src 'self'", policy);
            Assert.Contains("connect-src 'self'", policy);
            Assert.Contains("frame-ancestors 'none'", policy);
        }
    }

    [Fact]
    public async Task Malformed_ids_and_oversized_quotes_get_a_clear_refusal()
    {
        using var browser = Browser();
        var (badId, why) = await Get(browser, "api/jobs/" + new string('j', 300));
        Assert.Equal(HttpStatusCode.BadRequest, badId);
        Assert.Contains("is not a job id", why);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(browser, "api/jobs/job-00000000")).Status);
        using var huge = new StringContent(new string('#', DashboardSettings.Default.MaxQuoteBytes + 1), Encoding.UTF8, "text/plain");
        using var refused = await browser.PostAsync("api/quote", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        using var events = await browser.GetAsync("api/events?job=" + Uri.EscapeDataString("../../etc"));
        Assert.Equal(HttpStatusCode.BadRequest, events.StatusCode);
    }
}

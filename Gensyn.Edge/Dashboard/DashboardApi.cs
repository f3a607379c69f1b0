using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// The dashboard's JSON and live events under <c>/api</c>, as the pages use them and as the CLI's <c>--json</c> writes
/// them. A job's full view is its payer's only; anyone else gets its public summary.
/// </summary>
public static class DashboardApi
{
    public static void Map(RouteGroupBuilder pages)
    {
        var api = pages.MapGroup("/api");
        api.MapGet("/network", async (DashboardData data, CancellationToken cancel) =>
            Json(await data.NetworkAsync(cancel)));
        api.MapGet("/settlements", async (DashboardData data, CancellationToken cancel) =>
            Json(await data.SettlementsAsync(cancel)));
        api.MapGet("/jobs", async (HttpContext http, DashboardData data, CancellationToken cancel) =>
            Json(DashboardEndpoints.Caller(http) is { } caller
                ? new MyJobs(true, caller, await data.JobsAsync(caller, cancel))
                : new MyJobs(false, null, [])));
        api.MapGet("/jobs/{id}", Job);
        api.MapGet("/jobs/{id}/chart.svg", Chart);
        api.MapGet("/jobs/{id}/result", Result);
        api.MapPost("/quote", Quote);
        api.MapGet("/events", Events);
        pages.AddEndpointFilter(Failures);
    }

    /// <summary>A job as the session may see it: in full for its payer, its public summary for anyone else.</summary>
    private static async Task<IResult> Job(string id, HttpContext http, DashboardData data, CancellationToken cancel) =>
        JobId.TryParse(id, out var job)
            ? Json(await data.JobAsync(job, DashboardEndpoints.Caller(http), cancel))
            : BadId(id);

    /// <summary>A job's chart, for its payer's session only.</summary>
    private static async Task<IResult> Chart(string id, HttpContext http, DashboardData data, CancellationToken cancel)
    {
        if (!JobId.TryParse(id, out var job)) return BadId(id);
        return (await data.JobAsync(job, DashboardEndpoints.Caller(http), cancel)).Chart is { } chart
            ? Results.Content(chart, "image/svg+xml")
            : Problem(StatusCodes.Status403Forbidden,
                "only the job's payer sees its chart; sign in with `gensyn dashboard`");
    }

    /// <summary>A completed job's model (or predictions), for its payer's session only.</summary>
    private static async Task<IResult> Result(string id, HttpContext http, DashboardData data, CancellationToken cancel)
    {
        if (!JobId.TryParse(id, out var job)) return BadId(id);
        if (DashboardEndpoints.Caller(http) is not { } caller) return SignInFirst();
        var (hash, path, inference) = await data.ResultAsync(job, caller, cancel);
        http.Response.Headers["gensyn-blob-hash"] = hash.ToString();
        var name = job.Value + (inference ? "-predictions.csv" : ".safetensors");
        return Results.File(path, "application/octet-stream", name);
    }

    /// <summary>The quote `gensyn quote --json` prints, for a spec pasted or uploaded on the quote page.</summary>
    private static async Task<IResult> Quote(HttpContext http, EdgeContext edge, DashboardSettings settings,
        CancellationToken cancel)
    {
        var body = new byte[settings.MaxQuoteBytes + 1];
        var read = 0;
        int n;
        while (read < body.Length && (n = await http.Request.Body.ReadAsync(body.AsMemory(read), cancel)) > 0)
            read += n;
        if (read > settings.MaxQuoteBytes)
            return Problem(StatusCodes.Status413PayloadTooLarge,
                $"a spec is at most {settings.MaxQuoteBytes:N0} bytes");
        var yaml = System.Text.Encoding.UTF8.GetString(body, 0, read);
        if (edge.QuoteReport is not { } report)
            return Problem(StatusCodes.Status501NotImplemented,
                "this coordinator does not serve quotes; use `gensyn quote FILE`");
        return Results.Content(await report(yaml, edge, cancel), "application/json");
    }

    /// <summary>Server-Sent Events: a snapshot of the job (<c>?job=ID</c>) or the network, then each change as it
    /// happens.</summary>
    private static async Task Events(HttpContext http, LiveHub hub, EdgeContext edge, string? job)
    {
        JobId? id = null;
        if (job is not null)
        {
            if (!JobId.TryParse(job, out var parsed))
            {
                await BadId(job).ExecuteAsync(http);
                return;
            }
            id = parsed;
        }
        IDisposable slot;
        try
        {
            slot = edge.Limiter.Stream("DashboardEvents", HttpAdmission.RemoteKey(http));
        }
        catch (Grpc.Core.RpcException e)
        {
            await Results.Problem(e.Status.Detail, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
            return;
        }
        using var held = slot;
        var stream = hub.Open(id, DashboardEndpoints.Caller(http));
        if (stream is null)
        {
            await Results.Problem("the coordinator has as many live pages open as it may; try again later",
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(http);
            return;
        }
        try
        {
            var cancel = http.RequestAborted;
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-store";
            http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            string snapshot;
            try
            {
                snapshot = await hub.SnapshotAsync(stream, cancel);
            }
            catch (Exception e) when (e is KeyNotFoundException or TimeoutException or DashboardInputException)
            {
                // The page says why and stops listening (an EventSource would otherwise retry for ever).
                var problem = LiveHub.Event("problem", DashboardJson.Write(new { detail = e.Message }));
                await http.Response.WriteAsync(problem, cancel);
                return;
            }
            await http.Response.WriteAsync(snapshot, cancel);
            await http.Response.Body.FlushAsync(cancel);
            while (!cancel.IsCancellationRequested)
            {
                using var ping = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                ping.CancelAfter(TimeSpan.FromSeconds(15));
                string text;
                try
                {
                    text = await stream.Out.Reader.ReadAsync(ping.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    text = ": ping\n\n";   // keeps proxies from closing an idle stream
                }
                await http.Response.WriteAsync(text, cancel);
                await http.Response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
        finally
        {
            hub.Close(stream);
        }
    }

    /// <summary>Failures as one-line problems: unknown job 404, bad input 400, someone else's result 403, a slow
    /// cluster 503.</summary>
    private static async ValueTask<object?> Failures(EndpointFilterInvocationContext invocation,
        EndpointFilterDelegate next)
    {
        try
        {
            return await next(invocation);
        }
        catch (KeyNotFoundException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (Exception e) when (e is DashboardInputException or JobSpecException or Training.Data.DatasetException)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (UnauthorizedAccessException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status403Forbidden);
        }
        catch (TimeoutException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static IResult Json<T>(T value) => Results.Content(DashboardJson.Write(value), "application/json");

    private static IResult BadId(string id) =>
        Problem(StatusCodes.Status400BadRequest, $"'{(id.Length > 80 ? id[..80] + "…" : id)}' is not a job id");

    private static IResult Problem(int status, string detail) => Results.Problem(detail, statusCode: status);

    private static IResult SignInFirst() =>
        Results.Problem("sign in first: run `gensyn dashboard`, which opens this page signed in as your wallet",
            statusCode: StatusCodes.Status401Unauthorized);
}

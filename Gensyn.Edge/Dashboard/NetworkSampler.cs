using Gensyn.Contracts.Messages;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Actor;

namespace Gensyn.Edge.Dashboard;

/// <summary>
/// Samples the market every <see cref="DashboardSettings.NetworkSample"/> for the network page's price chart, and
/// pushes the network's figures to open network pages when they moved (a worker joined or left, a price changed).
/// </summary>
public sealed class NetworkSampler(EdgeContext edge, MarketHistory history, LiveHub hub, DashboardSettings settings,
    ILogger<NetworkSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        string? last = null;
        using var timer = new PeriodicTimer(settings.NetworkSample);
        do
        {
            try
            {
                var answer = await edge.Gateway.Ask<IGensynMessage>(new GetMarket(), EdgeContext.AskTimeout, stop);
                if (answer is MarketView market)
                {
                    history.Add(DateTimeOffset.UtcNow, market);
                    var workers =
                        await edge.Gateway.Ask<IGensynMessage>(new ListWorkers(), EdgeContext.AskTimeout, stop);
                    var now = Wire.EdgeJson.Write(new { market.Classes, workers });
                    if (now != last) hub.NetworkChanged();
                    last = now;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogDebug("Dashboard: could not sample the market: {Reason}", e.GetBaseException().Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stop));
    }
}

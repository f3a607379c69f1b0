using System.CommandLine;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn market</c>: live supply, demand and clearing prices per hardware class, and the latest settlements.</summary>
public static class MarketCommand
{
    public static Command Create()
    {
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("market", "Show supply (idle workers), demand (queued shards) and the clearing price per hardware class, and recent settlements")
        {
            coordinator, json,
        };
        command.SetAction(async parse =>
        {
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator));
            var reply = await client.Ask(new GetMarket());
            if (reply is not MarketView market) return ClusterCli.Fail(reply);
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(market));
                return ExitCodes.Success;
            }
            if (market.Classes.Count == 0) Console.WriteLine("no workers registered: no supply, no price");
            else
            {
                var table = new Table().AddColumns("CLASS", "WORKERS", "IDLE (SUPPLY)", "QUEUED (DEMAND)", "CLEARING GENS/H", "LOWEST ASK", "MEDIAN ASK");
                foreach (var c in market.Classes)
                    table.AddRow(c.Class, $"{c.Registered}", $"{c.Idle}", $"{c.Demand}", c.ClearingPrice is { } p ? $"{p:0.###}" : "- (no idle worker)",
                        $"{c.LowestAsk:0.###}", $"{c.MedianAsk:0.###}");
                AnsiConsole.Write(table);
            }
            if (market.RecentSettlements.Count > 0)
            {
                var recent = new Table().AddColumns("WHEN", "JOB", "KIND", "STATUS", "GENS", "TRANSACTION");
                foreach (var s in market.RecentSettlements)
                    recent.AddRow(s.At.ToLocalTime().ToString("HH:mm:ss"), s.JobId, s.Kind.ToString(), s.Status.ToString().ToLowerInvariant(), Gens.Format(s.AmountMicros),
                        s.TxHash ?? "-");
                AnsiConsole.Write(recent);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

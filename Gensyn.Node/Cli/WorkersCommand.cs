using System.CommandLine;
using Gensyn.Contracts.Messages;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn workers</c>: the registered workers and what they are doing.</summary>
public static class WorkersCommand
{
    public static Command Create()
    {
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("workers", "List the workers registered with the coordinators") { coordinator, json };
        command.SetAction(async parse =>
        {
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator));
            var reply = await client.Ask(new ListWorkers());
            if (reply is not WorkerList list) return ClusterCli.Fail(reply);
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(new { workers = list.Workers }));
                return ExitCodes.Success;
            }
            if (list.Workers.Count == 0)
            {
                Console.WriteLine("no workers registered; start one with `gensyn worker --coordinator HOST:PORT`");
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("WORKER", "DEVICE", "THREADS", "NUMERIC CLASS", "STEPS/S", "MBPS", "PRICE/H", "STATE", "RELIABILITY", "DONE", "RUNNING");
            foreach (var w in list.Workers)
                table.AddRow(Markup.Escape(w.WorkerId), w.Device, $"{w.Threads}", w.NumericClass, $"{w.Throughput:0.#}", $"{w.BandwidthMbps:0}", $"{w.Price:0.###}", w.State, $"{w.Reliability:P0}", $"{w.CompletedShards}", Markup.Escape(w.CurrentShard ?? "-"));
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }
}

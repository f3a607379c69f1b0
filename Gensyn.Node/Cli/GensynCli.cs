using System.CommandLine;

namespace Gensyn.Node.Cli;

/// <summary>The <c>gensyn</c> command tree: every command and option the executable parses (docs/reference/cli.md lists them).</summary>
public static class GensynCli
{
    public static RootCommand CreateRoot() => new("gensyn: decentralized, verifiable neural-network training")
    {
        Options = { GlobalOptions.LogLevel, GlobalOptions.DataDir },
        Subcommands =
        {
            DemoCommand.Create(), TrainCommand.Create(), NodeCommand.Create(), WorkerCommand.Create(),
            SubmitCommand.Create(), QuoteCommand.Create(), StatusCommand.Create(), WatchCommand.Create(), LogsCommand.Create(),
            CancelCommand.Create(), AuditCommand.Create(), DashboardCommand.Create(), ResultCommand.Create(), WorkersCommand.Create(), MarketCommand.Create(), WalletCommand.Create(), StakeCommand.Create(),
        },
    };
}

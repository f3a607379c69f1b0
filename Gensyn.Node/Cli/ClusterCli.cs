using System.CommandLine;
using System.Text.Json;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>Options and helpers shared by the commands that talk to a coordinator.</summary>
public static class ClusterCli
{
    public const string DefaultCoordinator = "127.0.0.1:4053";

    public static Option<string> CoordinatorOption() => new("--coordinator", "-c")
    {
        Description = $"Coordinator edge(s) to talk to, HOST:PORT[#SHA256FP][,...]; #FP pins the edge's TLS certificate, else it is trusted on first use and remembered in DATA_DIR/known-coordinators (default: $GENSYN_COORDINATOR, else {DefaultCoordinator})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GENSYN_COORDINATOR") ?? DefaultCoordinator,
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text" };

    /// <summary>The wallet a command signs its calls with: only the key that submitted a job may act on it.</summary>
    public static Option<FileInfo?> WalletOption() => new("--key")
    {
        Description = $"Wallet key file that signs the call; only the wallet that submitted a job may see its details, logs and result or cancel it (default: DATA_DIR/{ChainCli.WalletFile})",
    };

    /// <summary>A client for the command's --coordinator, signing with its --key (or DATA_DIR/wallet.key).</summary>
    public static CoordinatorClient Connect(ParseResult parse, Option<string> coordinator, Option<FileInfo?> key) =>
        CoordinatorClient.Connect(parse.GetRequiredValue(coordinator), parse.GetValue(key)?.FullName,
            parse.GetRequiredValue(GlobalOptions.DataDir));

    /// <summary>The edge's view JSON (<see cref="Gensyn.Edge.Wire.EdgeJson"/>), indented for people.</summary>
    public static readonly JsonSerializerOptions Json = new(Gensyn.Edge.Wire.EdgeJson.Options) { WriteIndented = true };

    /// <summary>"host:port" entries, checked.</summary>
    public static IReadOnlyList<string> ParseEndpoints(string text, string option)
    {
        var endpoints = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0) throw new CliInputException($"{option}: give at least one HOST:PORT");
        foreach (var entry in endpoints)
        {
            string endpoint;
            try
            {
                endpoint = Gensyn.Edge.Tls.CoordinatorTrust.Parse(entry).Endpoint;
            }
            catch (FormatException e)
            {
                throw new CliInputException($"{option}: {e.Message}");
            }
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535)
                throw new CliInputException($"{option}: '{endpoint}' is not HOST:PORT[#SHA256FP] (for example 127.0.0.1:4053)");
        }
        return endpoints;
    }

    public static string JsonOf(object value) => JsonSerializer.Serialize(value, value.GetType(), Json);

    /// <summary>Turns a reply that is not the expected one into the user's error and exit code.</summary>
    public static int Fail(IGensynMessage reply)
    {
        switch (reply)
        {
            case UnknownJob unknown:
                Console.Error.WriteLine($"error: no job '{unknown.JobId}'; `gensyn status` lists the jobs");
                return ExitCodes.InvalidInput;
            case RequestFailed failed:
                Console.Error.WriteLine($"error: {failed.Message}");
                return failed.InvalidInput ? ExitCodes.InvalidInput : ExitCodes.Failure;
            case JobRejected rejected:
                foreach (var error in rejected.Errors) Console.Error.WriteLine($"error: {error}");
                return ExitCodes.InvalidInput;
            default:
                Console.Error.WriteLine($"error: the coordinator answered {reply.GetType().Name}, which this command did not expect");
                return ExitCodes.Failure;
        }
    }
}

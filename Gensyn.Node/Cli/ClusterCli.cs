using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>Options and helpers shared by the commands that talk to a coordinator.</summary>
public static class ClusterCli
{
    public const string DefaultCoordinator = "127.0.0.1:4053";

    public static Option<string> CoordinatorOption() => new("--coordinator", "-c")
    {
        Description = $"Coordinator(s) to talk to, HOST:PORT[,HOST:PORT...] (default: $GENSYN_COORDINATOR, else {DefaultCoordinator})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GENSYN_COORDINATOR") ?? DefaultCoordinator,
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text" };

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>"host:port" entries, checked.</summary>
    public static IReadOnlyList<string> ParseEndpoints(string text, string option)
    {
        var endpoints = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0) throw new CliInputException($"{option}: give at least one HOST:PORT");
        foreach (var endpoint in endpoints)
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535)
                throw new CliInputException($"{option}: '{endpoint}' is not HOST:PORT (for example 127.0.0.1:4053)");
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

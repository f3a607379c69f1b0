using System.CommandLine;
using Serilog;
using Serilog.Events;

namespace Gensyn.Node.Cli;

/// <summary>Options every command accepts, and the process-wide settings they control.</summary>
public static class GlobalOptions
{
    public static readonly Option<string> LogLevel = new("--log-level")
    {
        Description = "Log detail on stderr: verbose, debug, information, warning, error",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GENSYN_LOG_LEVEL") ?? "warning",
        Recursive = true,
    };

    /// <summary>$GENSYN_DATA_DIR, else ~/.gensyn.</summary>
    public static string DefaultDataDirectory => Environment.GetEnvironmentVariable("GENSYN_DATA_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".gensyn");

    public static readonly Option<string> DataDir = new("--data-dir")
    {
        Description = "Where datasets, checkpoints and models live (default: $GENSYN_DATA_DIR, else ~/.gensyn)",
        DefaultValueFactory = _ => DefaultDataDirectory,
        Recursive = true,
    };

    /// <summary>Serilog to stderr, so stdout stays clean for --json.</summary>
    public static void ConfigureLogging(ParseResult parse)
    {
        var text = parse.GetValue(LogLevel) ?? "warning";
        var level = text.ToLowerInvariant() switch
        {
            "verbose" or "trace" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "information" or "info" => LogEventLevel.Information,
            "warning" or "warn" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            _ => throw new CliInputException($"--log-level: must be one of verbose, debug, information, warning, error, got '{text}'"),
        };
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose,
                             outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }
}

/// <summary>A problem with what the user typed or pointed at: reported in one line, exit code 2.</summary>
public sealed class CliInputException(string message) : Exception(message);

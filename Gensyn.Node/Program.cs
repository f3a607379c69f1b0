using System.CommandLine;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Jobs;
using Gensyn.Node.Cli;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Serilog;

var root = GensynCli.CreateRoot();

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("Run './gensyn --help' for usage.");
    return ExitCodes.InvalidInput;
}

try
{
    GlobalOptions.ConfigureLogging(parse);
    CoordinatorClient.DefaultDataDirectory = parse.GetRequiredValue(GlobalOptions.DataDir);
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (Unwrap(e) is JobSpecException spec)
{
    foreach (var error in spec.Errors) Console.Error.WriteLine($"error: {error}");
    return ExitCodes.InvalidInput;
}
catch (Exception e) when (Unwrap(e) is DatasetException or CheckpointException or CliInputException or ClusterCertificateException)
{
    Console.Error.WriteLine($"error: {Unwrap(e).Message}");
    return ExitCodes.InvalidInput;
}
catch (Exception e) when (Unwrap(e) is CoordinatorRateLimitedException limited)
{
    Console.Error.WriteLine($"error: {limited.Message}");
    return ExitCodes.RateLimited;
}
catch (Exception e) when (Unwrap(e) is CoordinatorUnavailableException or BlobException)
{
    Console.Error.WriteLine($"error: {Unwrap(e).Message}");
    return ExitCodes.Failure;
}
catch (Exception e)
{
    Log.Debug(e, "Unhandled failure");
    Console.Error.WriteLine($"error: {Unwrap(e).Message} (run with --log-level debug for details)");
    return ExitCodes.Failure;
}
finally
{
    Log.CloseAndFlush();
}

static Exception Unwrap(Exception e) => e is AggregateException { InnerException: { } inner } ? inner : e;

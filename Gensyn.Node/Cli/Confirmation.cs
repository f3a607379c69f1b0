namespace Gensyn.Node.Cli;

/// <summary>Asks a person to confirm before the CLI spends their money; scripts (redirected, --json, --yes) are never asked.</summary>
public static class Confirmation
{
    public const string Question = "Proceed? [y/N] ";

    /// <summary>Whether a person is at the terminal to answer: stdin and stdout are not redirected and the output is not JSON.</summary>
    public static bool CanAsk(bool json) => !json && !Console.IsInputRedirected && !Console.IsOutputRedirected;

    /// <summary>Writes <paramref name="question"/> and reads one line: true only for y or yes (any case); anything else, or no answer, is no.</summary>
    public static bool Ask(TextReader input, TextWriter output, string question = Question)
    {
        output.Write(question);
        output.Flush();
        var answer = input.ReadLine()?.Trim();
        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }
}

using System.Text;
using Gensyn.Contracts.Signing;

namespace Gensyn.Node.Cli;

/// <summary>
/// Where the CLI gets an encrypted wallet's passphrase: <see cref="WorkerKey.PassphraseVariable"/>, else, on a terminal, a prompt
/// that does not echo. Without either, loading an encrypted wallet fails with one line that names the variable.
/// </summary>
public static class WalletPassphrase
{
    /// <summary>The passphrase to open <paramref name="path"/> (null: none available).</summary>
    public static string? ToOpen(string path) =>
        Environment.GetEnvironmentVariable(WorkerKey.PassphraseVariable) is { Length: > 0 } set ? set : Prompt($"passphrase for {path}: ");

    /// <summary>A new passphrase for the wallet at <paramref name="path"/>: the variable, or asked twice on a terminal.</summary>
    public static string ToCreate(string path)
    {
        if (Environment.GetEnvironmentVariable(WorkerKey.PassphraseVariable) is { Length: > 0 } set) return set;
        var first = Prompt($"new passphrase for {path}: ")
            ?? throw new CliInputException($"an encrypted wallet needs a passphrase: set {WorkerKey.PassphraseVariable} or run on a terminal");
        if (first.Length == 0) throw new CliInputException("the passphrase is empty; choose one");
        if (Prompt("the same passphrase again: ") != first) throw new CliInputException("the two passphrases differ; try again");
        return first;
    }

    private static string? Prompt(string question)
    {
        if (Console.IsInputRedirected || Console.IsErrorRedirected) return null;
        Console.Error.Write(question);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}

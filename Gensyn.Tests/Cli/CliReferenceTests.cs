using System.CommandLine;
using Gensyn.Node.Cli;

namespace Gensyn.Tests.Cli;

/// <summary>
/// docs/reference/cli.md documents every command and every option that the <c>gensyn</c> executable parses: each command
/// (the tree <see cref="GensynCli.CreateRoot"/> builds, as Program.cs does) has a heading <c>gensyn PATH</c>, and each of
/// its options is named in that heading's section (the global options in the section of <c>gensyn</c> itself), and
/// each command with <c>--json</c> says in its section what <c>--json</c> prints (its fields).
/// </summary>
public sealed partial class CliReferenceTests
{
    private static readonly string ReferencePath = Path.Combine(GensynProcess.RepositoryRoot, "docs", "reference", "cli.md");

    [Fact]
    public void Every_command_and_option_appears_in_the_cli_reference()
    {
        var sections = Sections(File.ReadAllLines(ReferencePath));
        var missing = new List<string>();
        Walk(GensynCli.CreateRoot(), "gensyn", sections, missing);
        Assert.True(missing.Count == 0, "docs/reference/cli.md lacks a section for, or does not name in it: " + string.Join(", ", missing));
    }

    [Fact]
    public void A_command_with_json_output_whose_section_does_not_say_what_it_prints_is_missed()
    {
        var seen = new List<string>();
        var sections = new Dictionary<string, string> { ["gensyn workers"] = "- `--json`: Print one JSON object\n" };
        Walk(GensynCli.CreateRoot().Subcommands.Single(c => c.Name == "workers"), "gensyn workers", sections, seen);
        Assert.Contains("gensyn workers: what --json prints", seen);
    }

    [Fact]
    public void The_walk_sees_nested_commands_and_their_options()
    {
        var seen = new List<string>();
        var sections = new Dictionary<string, string>();
        Walk(GensynCli.CreateRoot(), "gensyn", sections, seen);
        Assert.Contains("gensyn wallet new", seen);
        Assert.Contains("gensyn wallet new --encrypt", seen);
        Assert.Contains("gensyn submit --deadline-hours", seen);
        Assert.Contains("gensyn node --cluster-cert", seen);
        Assert.Contains("gensyn --data-dir", seen);
    }

    /// <summary>Each heading's text (without #s and backticks) mapped to the lines under it, up to the next heading.</summary>
    private static Dictionary<string, string> Sections(string[] lines)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? heading = null;
        var body = new List<string>();
        var inCode = false;
        foreach (var line in lines.Append("# end"))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
            if (!inCode && line.StartsWith('#'))
            {
                if (heading is not null) sections[heading] = string.Join('\n', body);
                heading = line.TrimStart('#').Replace("`", "").Trim();
                body.Clear();
            }
            else body.Add(line);
        }
        return sections;
    }

    private static void Walk(Command command, string path, Dictionary<string, string> sections, List<string> missing)
    {
        var section = sections.GetValueOrDefault(path);
        if (section is null) missing.Add(path);
        foreach (var option in command.Options.Where(o => !o.Hidden && o.Name is not "--help" and not "--version"))
            if (section is null || !section.Contains(option.Name, StringComparison.Ordinal))
                missing.Add($"{path} {option.Name}");
        if (command.Options.Any(o => o.Name == "--json") && section is not null && !PrintsJson().IsMatch(section))
            missing.Add($"{path}: what --json prints");
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            Walk(sub, $"{path} {sub.Name}", sections, missing);
    }

    /// <summary>The section says "`--json` prints ..." (or "`status JOB --json` prints", "`--check --json` prints").</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"--json` prints")]
    private static partial System.Text.RegularExpressions.Regex PrintsJson();
}

using System.Text.RegularExpressions;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Docs;

/// <summary>
/// docs/reference/environment.md names every <c>GENSYN_*</c> environment variable that the sources or scripts read,
/// and names none that nothing reads.
/// </summary>
public sealed partial class EnvironmentReferenceTests
{
    private static readonly string Root = GensynProcess.RepositoryRoot;

    [GeneratedRegex("GENSYN_[A-Z0-9_]*[A-Z0-9]")]
    private static partial Regex Variable();

    [Fact]
    public void Every_variable_the_sources_read_is_in_the_reference()
    {
        var documented = Documented();
        var missing = Used().Where(u => !documented.Contains(u.Key)).Select(u => $"{u.Key} ({u.Value})").ToList();
        Assert.True(missing.Count == 0, "docs/reference/environment.md lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_reference_names_no_variable_that_nothing_reads()
    {
        var used = Used();
        var stale = Documented().Where(v => !used.ContainsKey(v)).ToList();
        Assert.True(stale.Count == 0, "docs/reference/environment.md names variables no source reads: " + string.Join(", ", stale));
    }

    [Fact]
    public void The_scan_sees_variables_of_the_product_the_tests_and_the_scripts()
    {
        var used = Used();
        Assert.Contains("GENSYN_DATA_DIR", used.Keys);
        Assert.Contains("GENSYN_TEST_POSTGRES", used.Keys);
        Assert.Contains("GENSYN_PG_PORT", used.Keys);
    }

    private static HashSet<string> Documented() =>
        Variable().Matches(File.ReadAllText(Path.Combine(Root, "docs", "reference", "environment.md")))
            .Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Each variable named in a C# source, a script, the launcher or CI's script (this folder's tests aside), with the
    /// first file that names it.
    /// </summary>
    private static Dictionary<string, string> Used()
    {
        var used = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Sources())
            foreach (Match m in Variable().Matches(File.ReadAllText(file)))
                used.TryAdd(m.Value, Path.GetRelativePath(Root, file));
        return used;
    }

    private static IEnumerable<string> Sources()
    {
        string[] skipped = ["bin", "obj", "node_modules", ".git", ".gensyn"];
        var options = new EnumerationOptions { RecurseSubdirectories = false };
        var folders = new Stack<string>([Root]);
        while (folders.Count > 0)
        {
            var folder = folders.Pop();
            foreach (var sub in Directory.EnumerateDirectories(folder, "*", options))
            {
                var name = Path.GetFileName(sub);
                if (name == ".ci" || !skipped.Contains(name) && !name.StartsWith('.')) folders.Push(sub);
            }
            foreach (var file in Directory.EnumerateFiles(folder, "*", options))
            {
                var relative = Path.GetRelativePath(Root, file);
                if (relative.StartsWith(Path.Combine("Gensyn.Tests", "Docs"), StringComparison.Ordinal)) continue;
                if (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".sh", StringComparison.Ordinal)
                    || relative is "gensyn" || relative == Path.Combine(".ci", "run"))
                    yield return file;
            }
        }
    }
}
